// createEngine's options object -> SessionConfig, checked on the JS thread (TypeError /
// RangeError naming the option) before any native work.
#pragma once
#include <napi.h>

#include "session.h"

namespace vgg2 {

SessionConfig ParseSessionConfig(const Napi::Value& options);

}  // namespace vgg2

// trainStep's options object -> StepOptions, checked on the JS thread (TypeError / RangeError
// naming the option) before any native work.
#pragma once
#include <napi.h>

#include "session.h"

namespace vgg2 {

StepOptions ParseStepOptions(const Napi::Value& options);

}  // namespace vgg2

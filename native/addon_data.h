// Per-environment state of the addon (worker threads and several Node environments may load it,
// so no statics).
#pragma once
#include <napi.h>

namespace vgg2 {

struct AddonData {
  Napi::FunctionReference engine_constructor;
};

}  // namespace vgg2

// What this build and machine offer: LibTorch version, CUDA devices, threads, quantized engines.
#pragma once
#include <napi.h>

namespace vgg2 {

Napi::Object Info(Napi::Env env);

}  // namespace vgg2

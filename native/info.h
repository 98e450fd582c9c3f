// What this build and machine offer: LibTorch version, CUDA devices, threads, quantized engines.
#pragma once
#include <napi.h>

namespace vgg2 {

Napi::Object Info(Napi::Env env);
// Sets LibTorch's intra-op threads (1.13 uses half the cores by default).
Napi::Value SetThreads(const Napi::CallbackInfo& info);
// At load: VGG2_THREADS, else every core.
void InitThreads();

}  // namespace vgg2

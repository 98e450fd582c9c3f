#include "info.h"

#include <cstdlib>
#include <thread>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include "device.h"
#include "errors.h"

namespace vgg2 {

void InitThreads() {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("VGG2_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) threads = n;
  }
  if (threads > 0) at::set_num_threads(threads);
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) ThrowType(env, "setThreads(n): n must be a number");
  double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= 1024) || n != static_cast<int>(n)) ThrowRange(env, "setThreads(n): n must be an integer in [1, 1024]");
  at::set_num_threads(static_cast<int>(n));
  return env.Undefined();
}

Napi::Object Info(Napi::Env env) {
  auto out = Napi::Object::New(env);
  out.Set("libtorch", TORCH_VERSION);
  const bool cuda = CudaAvailable();
  out.Set("cuda", cuda);
  auto devices = Napi::Array::New(env);
  devices.Set(0u, "cpu");
  for (int i = 0; cuda && i < CudaDeviceCount(); ++i) devices.Set(devices.Length(), "cuda:" + std::to_string(i));
  out.Set("devices", devices);
  out.Set("threads", at::get_num_threads());
  auto engines = Napi::Array::New(env);
  for (auto engine : at::globalContext().supportedQEngines()) {
    engines.Set(engines.Length(), c10::toString(engine));
  }
  out.Set("quantizedEngines", engines);
  out.Set("mkldnn", at::hasMKLDNN());
  out.Set("openmp", at::hasOpenMP());
  return out;
}

}  // namespace vgg2

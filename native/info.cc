#include "info.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <cstdlib>
#include <string>

#include "caching_cpu_allocator.h"
#include "cuda_devices.h"
#include "cuda_setup.h"
#include "device.h"
#include "errors.h"
#include "threads.h"

namespace vgg2 {

namespace {
// CUDA's integer versions: 13000 -> "13.0"; cuDNN 9: 90100 -> "9.1.0", cuDNN 8: 8902 -> "8.9.2".
std::string CudaVersionText(long v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }
std::string CudnnVersionText(long v) {
  const long major_unit = v >= 90000 ? 10000 : 1000;
  return std::to_string(v / major_unit) + "." + std::to_string(v % major_unit / 100) + "." + std::to_string(v % 100);
}

// The GPUs the driver reports (even under a CPU-only LibTorch, so `info` can say why they go
// unused), the CUDA and cuDNN this LibTorch was built with, and the process-wide CUDA settings.
void AddCudaInfo(Napi::Env env, Napi::Object out, bool cuda) {
  const auto& driver = QueryCudaDriver();
  auto gpus = Napi::Array::New(env);
  for (const auto& d : driver.devices) {
    auto g = Napi::Object::New(env);
    g.Set("index", d.index);
    g.Set("name", d.name);
    g.Set("totalMemory", static_cast<double>(d.total_memory));
    g.Set("capability", std::to_string(d.major) + "." + std::to_string(d.minor));
    g.Set("multiprocessors", d.multiprocessors);
    gpus.Set(gpus.Length(), g);
  }
  out.Set("cudaDevices", gpus);
  out.Set("cudaDriver",
          driver.version ? Napi::Value(Napi::String::New(env, CudaVersionText(driver.version))) : env.Null());
  const auto& context = at::globalContext();
  out.Set("cudaRuntime",
          cuda ? Napi::Value(Napi::String::New(env, CudaVersionText(context.versionCUDART()))) : env.Null());
  out.Set("cudnn", cuda && context.hasCuDNN()
                       ? Napi::Value(Napi::String::New(env, CudnnVersionText(context.versionCuDNN())))
                       : env.Null());
  ConfigureCuda();
  const auto settings = CurrentCudaSettings();
  out.Set("cudnnBenchmark", settings.cudnn_benchmark);
  auto tf32 = Napi::Object::New(env);
  tf32.Set("conv", settings.tf32_conv);
  tf32.Set("matmul", settings.tf32_matmul);
  out.Set("tf32", tf32);
}
}  // namespace

Napi::Object Info(Napi::Env env) {
  auto out = Napi::Object::New(env);
  out.Set("libtorch", TORCH_VERSION);
  const bool cuda = CudaAvailable();
  out.Set("cuda", cuda);
  auto devices = Napi::Array::New(env);
  devices.Set(0u, "cpu");
  for (int i = 0; cuda && i < CudaDeviceCount(); ++i) devices.Set(devices.Length(), "cuda:" + std::to_string(i));
  out.Set("devices", devices);
  out.Set("threads", DesiredThreads());
  auto engines = Napi::Array::New(env);
  for (auto engine : at::globalContext().supportedQEngines()) {
    engines.Set(engines.Length(), c10::toString(engine));
  }
  out.Set("quantizedEngines", engines);
  out.Set("mkldnn", at::hasMKLDNN());
  out.Set("openmp", at::hasOpenMP());
  const auto alloc = CachingCpuAllocator::Install().stats();
  auto allocator = Napi::Object::New(env);
  allocator.Set("cachedBytes", static_cast<double>(alloc.cached_bytes));
  allocator.Set("limitBytes", static_cast<double>(alloc.limit_bytes));
  allocator.Set("hits", static_cast<double>(alloc.hits));
  allocator.Set("misses", static_cast<double>(alloc.misses));
  out.Set("cpuAllocator", allocator);
  AddCudaInfo(env, out, cuda);
  return out;
}

}  // namespace vgg2

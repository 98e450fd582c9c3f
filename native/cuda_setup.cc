#include "cuda_setup.h"

#include <ATen/Context.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace vgg2 {

void ConfigureCuda() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& context = at::globalContext();
    // The input size is fixed during training, so timing cuDNN's algorithms once per shape pays off.
    const char* benchmark = std::getenv("VGG2_CUDNN_BENCHMARK");
    context.setBenchmarkCuDNN(!(benchmark && std::strcmp(benchmark, "0") == 0));
    if (const char* tf32 = std::getenv("VGG2_TF32")) {
      const bool on = std::strcmp(tf32, "0") != 0;
      context.setAllowTF32CuDNN(on);
      context.setAllowTF32CuBLAS(on);
    }
  });
}

CudaSettings CurrentCudaSettings() {
  const auto& context = at::globalContext();
  return {context.benchmarkCuDNN(), context.allowTF32CuDNN(), context.allowTF32CuBLAS()};
}

}  // namespace vgg2

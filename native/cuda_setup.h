// Process-wide CUDA settings, applied once, before the first CUDA model runs: cuDNN benchmark
// mode (on; VGG2_CUDNN_BENCHMARK=0 turns it off) and TF32 (VGG2_TF32=0 or 1 for convolutions and
// matmuls alike; unset keeps LibTorch's defaults, which are PyTorch's: TF32 convolutions, fp32
// matmuls). They are process-wide in LibTorch (at::globalContext()), hence not per model.
#pragma once

namespace vgg2 {

void ConfigureCuda();

struct CudaSettings {
  bool cudnn_benchmark = false;
  bool tf32_conv = false;
  bool tf32_matmul = false;
};
// What is in force now (after ConfigureCuda()).
CudaSettings CurrentCudaSettings();

}  // namespace vgg2

// The residual shortcut of the ResNet blocks (bottleneck and basic): the input itself, or, where
// the block changes resolution or channels, torchvision's `downsample` (1x1 conv + BatchNorm,
// its BatchNorm through dist::Normalize like every other).
#pragma once
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>

#include "dist/sync_batch_norm.h"
#include "models/conv.h"

namespace vgg2 {

inline torch::nn::Sequential Downsample(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Sequential(Conv(in, out, 1, stride), torch::nn::BatchNorm2d(out));
}

// `downsample` may be empty (an identity shortcut).
inline torch::Tensor Shortcut(torch::nn::Sequential& downsample, const torch::Tensor& x) {
  if (!downsample) return x;
  return dist::Normalize(*downsample[1]->as<torch::nn::BatchNorm2d>(),
                         downsample[0]->as<torch::nn::Conv2d>()->forward(x));
}

}  // namespace vgg2

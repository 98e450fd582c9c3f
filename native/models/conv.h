// A bias-free convolution padded to keep the size ("same" for odd kernels), as torchvision's conv1x1/conv3x3.
#pragma once
#include <torch/nn/modules/conv.h>

namespace vgg2 {

inline torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
}

}  // namespace vgg2

#include "models/depthwise_block.h"

#include "dist/sync_batch_norm.h"
#include "models/conv.h"

namespace vgg2 {

namespace {
torch::nn::PReLU PReLU(int64_t channels) {
  return torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(channels));
}
}  // namespace

DepthwiseBlockImpl::DepthwiseBlockImpl(int64_t in, int64_t out, int64_t width, int64_t stride)
    : residual_(stride == 1 && in == out) {
  conv1 = register_module("conv1", Conv(in, width, 1, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(width));
  prelu1 = register_module("prelu1", PReLU(width));
  conv2 = register_module("conv2", Conv(width, width, 3, stride, /*groups=*/width));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(width));
  prelu2 = register_module("prelu2", PReLU(width));
  conv3 = register_module("conv3", Conv(width, out, 1, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
}

torch::Tensor DepthwiseBlockImpl::forward(const torch::Tensor& x) {
  using dist::Normalize;
  auto y = prelu1(Normalize(*bn1, conv1(x)));
  y = prelu2(Normalize(*bn2, conv2(y)));
  y = Normalize(*bn3, conv3(y));
  return residual_ ? y + x : y;
}

}  // namespace vgg2

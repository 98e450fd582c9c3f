// MobileFaceNet's bottleneck (MobileNetV2's inverted residual with PReLU): a 1x1 expansion to
// `width` channels, a 3x3 depthwise conv carrying the stride, and a linear 1x1 projection, each
// followed by BatchNorm (PReLU after the first two); the input is added back when the shapes allow.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace vgg2 {

class DepthwiseBlockImpl : public torch::nn::Module {
 public:
  DepthwiseBlockImpl(int64_t in, int64_t out, int64_t width, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool residual_;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::PReLU prelu1{nullptr}, prelu2{nullptr};
};
TORCH_MODULE(DepthwiseBlock);

}  // namespace vgg2

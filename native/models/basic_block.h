// torchvision's BasicBlock (ResNet-18/34): two 3x3 convolutions, the stride on the first;
// optionally an SE layer after bn2 and before the residual add, as in SE-ResNet-18/34.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "models/se_layer.h"

namespace vgg2 {

class BasicBlockImpl : public torch::nn::Module {
 public:
  // width: conv1's output channels (planes unpruned).
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, bool with_se, int64_t width);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
  SELayer se{nullptr};
};
TORCH_MODULE(BasicBlock);

}  // namespace vgg2

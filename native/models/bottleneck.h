// torchvision's Bottleneck (ResNet v1.5: the stride sits on the 3x3 conv; v1, the Caffe models':
// on the first 1x1), optionally with an SE layer after bn3 and before the residual add (SE-ResNet).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "models/resnet_layout.h"
#include "models/se_layer.h"

namespace vgg2 {

class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  // widths: the inner convolutions' output channels (planes and planes unpruned).
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, bool with_se, bool stride_on_1x1,
                 const InnerWidths& widths);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
  SELayer se{nullptr};
};
TORCH_MODULE(Bottleneck);

}  // namespace vgg2

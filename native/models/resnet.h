// The ResNets (18, 34, 50, and SE-ResNets) as torchvision lays them out (parameter names included),
// with an optional embedding bottleneck (Linear C -> D + BatchNorm) before the classifier: the
// paper's low-dimensional variants.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "models/face_net.h"
#include "models/resnet_layout.h"

namespace vgg2 {

class ResNetImpl : public FaceNetImpl {
 public:
  ResNetImpl(const ModelOptions& options, const ResNetLayout& layout);
  ModelOutput forward(const torch::Tensor& x) override;
  int64_t output_dim() const override {
    return options_.embedding_dim > 0 ? options_.embedding_dim : layout_.feature_dim();
  }

 private:
  torch::nn::Sequential MakeLayer(int64_t planes, int64_t blocks, int64_t stride);

  ModelOptions options_;
  ResNetLayout layout_;
  int64_t inplanes_ = 64;
  std::vector<InnerWidths> widths_;  // every block's, in order
  size_t next_block_ = 0;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Sequential embedding{nullptr};
  torch::nn::Linear fc{nullptr};
};

}  // namespace vgg2

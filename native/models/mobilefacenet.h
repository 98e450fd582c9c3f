// MobileFaceNet (Chen et al., 2018), the paper's network for 112x112 faces: a stride-2 3x3 conv and
// a 3x3 depthwise conv, three stages of depthwise bottlenecks (a strided one, then 4, 6 and 2
// residual ones), a 1x1 conv to 512 channels, the global depthwise conv (GDC: 7x7, one filter per
// channel, no padding) in place of average pooling, then a Linear (no bias) + BatchNorm embedding
// and the classifier. ~1M parameters in the backbone.
#pragma once
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "models/face_net.h"

namespace vgg2 {

class MobileFaceNetImpl : public FaceNetImpl {
 public:
  static constexpr int64_t kInputSize = 112;  // the GDC's 7x7 kernel covers the whole last map
  explicit MobileFaceNetImpl(const ModelOptions& options);
  ModelOutput forward(const torch::Tensor& x) override;
  int64_t output_dim() const override { return embedding_dim_; }

 private:
  int64_t embedding_dim_;

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv_sep{nullptr}, gdc{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn_sep{nullptr}, bn_gdc{nullptr};
  torch::nn::PReLU prelu1{nullptr}, prelu2{nullptr}, prelu_sep{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr};
  torch::nn::Sequential embedding{nullptr};
  torch::nn::Linear fc{nullptr};
};

}  // namespace vgg2

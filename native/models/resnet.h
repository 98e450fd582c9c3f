// ResNet-50 and SE-ResNet-50 as torchvision lays them out (parameter names included), with an
// optional embedding bottleneck (Linear 2048 -> D + BatchNorm) before the classifier: the
// paper's low-dimensional variants.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <string>

namespace vgg2 {

// ResNet-50's four stages: bottleneck blocks per stage and their inner widths.
inline constexpr std::array<int64_t, 4> kResNet50Blocks{3, 4, 6, 3};
inline constexpr std::array<int64_t, 4> kResNet50Planes{64, 128, 256, 512};

struct ResNetOptions {
  std::string arch = "resnet50";  // resnet50 | senet50
  // torchvision: ResNet v1.5 (stride on the 3x3 conv, max-pool padded). caffe: the VGGFace2
  // authors' v1 (stride on the first 1x1 conv, max-pool unpadded with ceil_mode), which their
  // published weights (vgg2-torch convert) need.
  std::string variant = "torchvision";
  bool v1() const { return variant == "caffe"; }
  int64_t num_classes = 8631;
  int64_t embedding_dim = 0;  // 0: none
};

struct ResNetOutput {
  torch::Tensor logits;
  torch::Tensor features;   // pooled 2048-d
  torch::Tensor embedding;  // [n, D] when embedding_dim > 0
};

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const ResNetOptions& options);
  ResNetOutput forward(const torch::Tensor& x);
  const ResNetOptions& options() const { return options_; }

 private:
  torch::nn::Sequential MakeLayer(int64_t planes, int64_t blocks, int64_t stride);
  void InitWeights();

  ResNetOptions options_;
  int64_t inplanes_ = 64;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Sequential embedding{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

// Throws std::invalid_argument for an unknown arch.
ResNet BuildResNet(const ResNetOptions& options);

}  // namespace vgg2

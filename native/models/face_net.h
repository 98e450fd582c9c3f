// What every network of the model family (the ResNets, MobileFaceNet) is to the rest of the addon:
// a Module whose forward gives logits, the pooled feature and, when it has one, the embedding.
// The Session, the losses and distributed training see only this.
#pragma once
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

namespace vgg2 {

struct ModelOptions {
  // resnet18 | resnet34 | resnet50 | senet18 | senet34 | senet50 (models/resnet_layout.h) | mobilefacenet
  std::string arch = "resnet50";
  // torchvision: ResNet v1.5 (stride on the 3x3 conv, max-pool padded). caffe: the VGGFace2
  // authors' v1 (stride on the first 1x1 conv, max-pool unpadded with ceil_mode), which their
  // published weights (vgg2-torch convert) need; ResNet-50 / SE-ResNet-50 only.
  std::string variant = "torchvision";
  bool v1() const { return variant == "caffe"; }
  int64_t num_classes = 8631;
  int64_t embedding_dim = 0;  // 0: none
  // > 0: distillation from a teacher whose embedding has this size; a Linear (no bias) named
  // "distill" maps ours (output_dim) onto it, learned with the student (losses/distill_loss.h).
  int64_t distill_dim = 0;
  // The ResNets' inner widths after structured channel pruning (lib/prune): a bottleneck's conv1 and
  // conv2 output channels, a basic block's conv1's, block after block (layer1.0, layer1.1, ...).
  // Empty: every block at full width (its planes). models/resnet_layout.h checks them.
  std::vector<int64_t> inner_widths;
};

struct ModelOutput {
  torch::Tensor logits;
  torch::Tensor features;   // pooled (2048-d for ResNet-50)
  torch::Tensor embedding;  // [n, D] when embedding_dim > 0
};

class FaceNetImpl : public torch::nn::Module {
 public:
  virtual ModelOutput forward(const torch::Tensor& x) = 0;
  // The size of what the network embeds a face as: its embedding layer's, else the pooled feature's.
  virtual int64_t output_dim() const = 0;
};
using FaceNet = std::shared_ptr<FaceNetImpl>;

// Throws std::invalid_argument for an unknown arch or variant, or bad sizes.
FaceNet BuildFaceNet(const ModelOptions& options);

}  // namespace vgg2

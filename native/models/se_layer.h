// Squeeze-and-excitation (Hu et al.): channel weights from the pooled feature, reduction 16.
// Names as the reference: se.fc.0 (Linear C -> C/16), se.fc.2 (Linear C/16 -> C).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

namespace vgg2 {

class SELayerImpl : public torch::nn::Module {
 public:
  SELayerImpl(int64_t channels, int64_t reduction);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Sequential fc{nullptr};
};
TORCH_MODULE(SELayer);

}  // namespace vgg2

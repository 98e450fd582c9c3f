#include "models/se_layer.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace vgg2 {

SELayerImpl::SELayerImpl(int64_t channels, int64_t reduction) {
  fc = register_module("fc",
                       torch::nn::Sequential(torch::nn::Linear(channels, channels / reduction),
                                             torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                                             torch::nn::Linear(channels / reduction, channels), torch::nn::Sigmoid()));
}

torch::Tensor SELayerImpl::forward(const torch::Tensor& x) {
  auto b = x.size(0), c = x.size(1);
  // adaptive_avg_pool2d rather than mean(): the same kernel as the reference, bit for bit.
  auto y = torch::adaptive_avg_pool2d(x, {1, 1}).view({b, c});
  return x * fc->forward(y).view({b, c, 1, 1});
}

}  // namespace vgg2

#include "models/init_weights.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace vgg2 {

void InitWeights(torch::nn::Module& model) {
  namespace init = torch::nn::init;
  torch::NoGradGuard no_grad;
  for (auto& module : model.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      const init::FanModeType mode = conv->options.groups() > 1 ? init::FanModeType(torch::kFanIn) : torch::kFanOut;
      init::kaiming_normal_(conv->weight, 0, mode, torch::kReLU);
    } else if (auto* bn2d = module->as<torch::nn::BatchNorm2d>()) {
      init::ones_(bn2d->weight);
      init::zeros_(bn2d->bias);
    } else if (auto* bn1d = module->as<torch::nn::BatchNorm1d>()) {
      init::ones_(bn1d->weight);
      init::zeros_(bn1d->bias);
    }
  }
}

}  // namespace vgg2

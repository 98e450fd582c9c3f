// torchvision's initialisation, not LibTorch's module defaults (training parity depends on it):
// He-normal convolutions (fan-out, as torchvision's ResNet), BatchNorm weight 1 and bias 0; Linear
// and PReLU keep their defaults. Depthwise (grouped) convolutions use fan-in: fan-out counts every
// channel's filter (C·k², not k²), which would shrink the signal ~16x per depthwise conv.
#pragma once
#include <torch/nn/module.h>

namespace vgg2 {

void InitWeights(torch::nn::Module& model);

}  // namespace vgg2

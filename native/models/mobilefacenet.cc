#include "models/mobilefacenet.h"

#include <stdexcept>

#include "dist/sync_batch_norm.h"
#include "models/conv.h"
#include "models/depthwise_block.h"
#include "models/init_weights.h"

namespace vgg2 {

namespace {

torch::nn::PReLU PReLU(int64_t channels) {
  return torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(channels));
}

// A strided bottleneck in -> out (expansion `down_width`), then `blocks` residual ones (`width`).
torch::nn::Sequential Stage(int64_t in, int64_t out, int64_t down_width, int64_t blocks, int64_t width) {
  torch::nn::Sequential stage(DepthwiseBlock(in, out, down_width, 2));
  for (int64_t b = 0; b < blocks; ++b) stage->push_back(DepthwiseBlock(out, out, width, 1));
  return stage;
}

}  // namespace

MobileFaceNetImpl::MobileFaceNetImpl(const ModelOptions& options) : embedding_dim_(options.embedding_dim) {
  conv1 = register_module("conv1", Conv(3, 64, 3, 2));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  prelu1 = register_module("prelu1", PReLU(64));
  conv2 = register_module("conv2", Conv(64, 64, 3, 1, /*groups=*/64));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(64));
  prelu2 = register_module("prelu2", PReLU(64));
  layer1 = register_module("layer1", Stage(64, 64, 128, 4, 128));    // 56 -> 28
  layer2 = register_module("layer2", Stage(64, 128, 256, 6, 256));   // 28 -> 14
  layer3 = register_module("layer3", Stage(128, 128, 512, 2, 256));  // 14 -> 7
  conv_sep = register_module("conv_sep", Conv(128, 512, 1, 1));
  bn_sep = register_module("bn_sep", torch::nn::BatchNorm2d(512));
  prelu_sep = register_module("prelu_sep", PReLU(512));
  gdc = register_module("gdc", torch::nn::Conv2d(torch::nn::Conv2dOptions(512, 512, 7).groups(512).bias(false)));
  bn_gdc = register_module("bn_gdc", torch::nn::BatchNorm2d(512));
  embedding = register_module(
      "embedding",
      torch::nn::Sequential(torch::nn::Linear(torch::nn::LinearOptions(512, options.embedding_dim).bias(false)),
                            torch::nn::BatchNorm1d(options.embedding_dim)));
  fc = register_module("fc", torch::nn::Linear(options.embedding_dim, options.num_classes));
  InitWeights(*this);
}

ModelOutput MobileFaceNetImpl::forward(const torch::Tensor& input) {
  using dist::Normalize;
  if (input.size(2) != kInputSize || input.size(3) != kInputSize) {
    throw std::invalid_argument("mobilefacenet takes 112x112 faces (its global depthwise conv is 7x7), got " +
                                std::to_string(input.size(2)) + "x" + std::to_string(input.size(3)));
  }
  auto x = prelu1(Normalize(*bn1, conv1(input)));
  x = prelu2(Normalize(*bn2, conv2(x)));
  x = layer3->forward(layer2->forward(layer1->forward(x)));
  x = prelu_sep(Normalize(*bn_sep, conv_sep(x)));
  ModelOutput out;
  out.features = torch::flatten(Normalize(*bn_gdc, gdc(x)), 1);
  auto projected = embedding[0]->as<torch::nn::Linear>()->forward(out.features);
  out.embedding = Normalize(*embedding[1]->as<torch::nn::BatchNorm1d>(), projected);
  out.logits = fc(out.embedding);
  return out;
}

}  // namespace vgg2

#include "models/resnet.h"

#include <torch/nn/modules/batchnorm.h>

#include <stdexcept>

#include "dist/sync_batch_norm.h"
#include "models/basic_block.h"
#include "models/bottleneck.h"
#include "models/init_weights.h"

namespace vgg2 {

ResNetImpl::ResNetImpl(const ModelOptions& options, const ResNetLayout& layout)
    : options_(options), layout_(layout), widths_(BlockInnerWidths(layout, options.inner_widths)) {
  conv1 =
      register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  torch::nn::Sequential* layers[] = {&layer1, &layer2, &layer3, &layer4};
  for (int i = 0; i < 4; ++i) {
    *layers[i] = register_module("layer" + std::to_string(i + 1),
                                 MakeLayer(ResNetLayout::kPlanes[i], layout.blocks[i], i > 0 ? 2 : 1));
  }
  int64_t feature_dim = layout.feature_dim();
  if (options.embedding_dim > 0) {
    embedding =
        register_module("embedding", torch::nn::Sequential(torch::nn::Linear(feature_dim, options.embedding_dim),
                                                           torch::nn::BatchNorm1d(options.embedding_dim)));
    feature_dim = options.embedding_dim;
  }
  fc = register_module("fc", torch::nn::Linear(feature_dim, options.num_classes));
  InitWeights(*this);
}

torch::nn::Sequential ResNetImpl::MakeLayer(int64_t planes, int64_t blocks, int64_t stride) {
  torch::nn::Sequential layer;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t s = b == 0 ? stride : 1;
    const InnerWidths& w = widths_[next_block_++];
    if (layout_.bottleneck)
      layer->push_back(Bottleneck(inplanes_, planes, s, layout_.se, options_.v1(), w));
    else
      layer->push_back(BasicBlock(inplanes_, planes, s, layout_.se, w.conv1));
    inplanes_ = planes * layout_.expansion();
  }
  return layer;
}

ModelOutput ResNetImpl::forward(const torch::Tensor& input) {
  auto x = dist::Normalize(*bn1, conv1(input)).relu_();
  x = options_.v1() ? torch::max_pool2d(x, 3, 2, 0, 1, /*ceil_mode=*/true) : torch::max_pool2d(x, 3, 2, 1);
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  ModelOutput out;
  out.features = torch::flatten(torch::adaptive_avg_pool2d(x, {1, 1}), 1);
  auto head_input = out.features;
  if (embedding) {
    auto projected = embedding[0]->as<torch::nn::Linear>()->forward(out.features);
    head_input = out.embedding = dist::Normalize(*embedding[1]->as<torch::nn::BatchNorm1d>(), projected);
  }
  out.logits = fc(head_input);
  return out;
}

}  // namespace vgg2

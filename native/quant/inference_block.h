// A residual block as inference runs it: a bottleneck's three folded convolutions (ReLU fused into
// the first two) or a basic block's two (ReLU in the first), the optional SE layer and downsample,
// and the residual add with its ReLU — in fp32, or int8 from input to output (quantized::add_relu
// for the residual).
#pragma once
#include <optional>
#include <string>

#include "models/resnet_layout.h"
#include "quant/folded_conv.h"
#include "quant/inference_se.h"

namespace vgg2::quant {

struct BlockShape {
  int64_t inplanes, planes, stride;
  bool se;
  bool stride_on_1x1;                  // ResNet v1 (the Caffe models)
  bool basic = false;                  // ResNet-18/34: two 3x3 convs (stride on the first), expansion 1
  InnerWidths widths{planes, planes};  // the inner convs' output channels (models/resnet_layout.h)
  int64_t out() const { return basic ? planes : planes * 4; }
  int64_t stride1() const { return stride_on_1x1 || basic ? stride : 1; }
  int64_t stride2() const { return stride_on_1x1 || basic ? 1 : stride; }
  bool downsample() const { return stride != 1 || inplanes != out(); }
};

class InferenceBlock {
 public:
  InferenceBlock() = default;
  InferenceBlock(FoldedConv conv1, FoldedConv conv2, std::optional<FoldedConv> conv3,
                 std::optional<FoldedConv> downsample, std::optional<InferenceSE> se);

  at::Tensor Forward(const at::Tensor& x, bool observe);
  void Quantize(bool activations, ActivationRange::Method method);
  void ToChannelsLast();

  void Save(const std::string& name, TensorList& out) const;
  void Load(const std::string& name, TensorReader& in, const BlockShape& shape, bool weights_int8,
            bool activations_int8);
  int64_t numel() const;

 private:
  FoldedConv conv1_, conv2_;
  std::optional<FoldedConv> conv3_, downsample_;  // conv3: bottlenecks only
  std::optional<InferenceSE> se_;
  ActivationQuant output_;
  bool quantized_ = false;
};

}  // namespace vgg2::quant

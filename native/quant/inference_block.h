// A bottleneck block as inference runs it: three folded convolutions (ReLU fused into the first
// two), the optional SE layer and downsample, and the residual add with its ReLU — in fp32, or
// int8 from input to output (quantized::add_relu for the residual).
#pragma once
#include <optional>
#include <string>

#include "quant/folded_conv.h"
#include "quant/inference_se.h"

namespace vgg2::quant {

struct BlockShape {
  int64_t inplanes, planes, stride;
  bool se;
  bool stride_on_1x1;  // ResNet v1 (the Caffe models)
  int64_t stride1() const { return stride_on_1x1 ? stride : 1; }
  int64_t stride2() const { return stride_on_1x1 ? 1 : stride; }
  bool downsample() const { return stride != 1 || inplanes != planes * 4; }
};

class InferenceBlock {
 public:
  InferenceBlock() = default;
  InferenceBlock(FoldedConv conv1, FoldedConv conv2, FoldedConv conv3, std::optional<FoldedConv> downsample,
                 std::optional<InferenceSE> se);

  at::Tensor Forward(const at::Tensor& x, bool observe);
  void Quantize(bool activations, ActivationRange::Method method);
  void ToChannelsLast();

  void Save(const std::string& name, TensorList& out) const;
  void Load(const std::string& name, TensorReader& in, const BlockShape& shape, bool weights_int8,
            bool activations_int8);
  int64_t numel() const;

 private:
  FoldedConv conv1_, conv2_, conv3_;
  std::optional<FoldedConv> downsample_;
  std::optional<InferenceSE> se_;
  ActivationQuant output_;
  bool quantized_ = false;
};

}  // namespace vgg2::quant

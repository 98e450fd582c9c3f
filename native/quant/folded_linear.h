// A Linear layer (with a following BatchNorm1d folded in, for the embedding) in fp32, or with
// int8 weights run by quantized::linear_dynamic: fp32 in and out, the input quantized per batch
// on the fly, as torch.quantization.quantize_dynamic runs Linear.
#pragma once
#include <optional>
#include <string>

#include "quant/folded_conv.h"

namespace vgg2::quant {

class FoldedLinear {
 public:
  FoldedLinear() = default;
  FoldedLinear(const at::Tensor& weight, const at::Tensor& bias, const std::optional<BatchNormTensors>& bn = {});

  at::Tensor Forward(const at::Tensor& x) const;
  void Quantize();
  bool quantized() const { return packed_.isCustomClass(); }

  void Save(const std::string& name, TensorList& out) const;
  void Load(const std::string& name, TensorReader& in, int64_t in_features, int64_t out_features, bool quantized);
  int64_t numel() const { return weight_.numel() + (bias_.defined() ? bias_.numel() : 0); }
  int64_t out_features() const { return weight_.size(0); }

 private:
  at::Tensor weight_;  // fp32, or qint8 per channel once quantized
  at::Tensor bias_;    // fp32 [O] or undefined
  Packed packed_;
};

}  // namespace vgg2::quant

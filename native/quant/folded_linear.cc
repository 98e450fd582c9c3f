#include "quant/folded_linear.h"

#include <ATen/ATen.h>

#include "quant/int8_weight.h"

namespace vgg2::quant {

FoldedLinear::FoldedLinear(const at::Tensor& weight, const at::Tensor& bias, const std::optional<BatchNormTensors>& bn)
    : weight_(weight.contiguous()), bias_(bias) {
  if (!bn) return;
  auto factor = bn->weight / (bn->running_var + bn->eps).sqrt();
  weight_ = (weight * factor.view({-1, 1})).contiguous();
  auto b = bias.defined() ? bias : at::zeros_like(bn->bias);
  bias_ = ((b - bn->running_mean) * factor + bn->bias).contiguous();
}

at::Tensor FoldedLinear::Forward(const at::Tensor& x) const {
  if (quantized()) return LinearDynamic(x.to(at::kFloat).contiguous(), packed_);
  return at::linear(x, weight_, bias_);
}

void FoldedLinear::Quantize() {
  weight_ = QuantizeWeight(weight_);
  packed_ = PrepackLinear(weight_, bias_);
}

void FoldedLinear::Save(const std::string& name, TensorList& out) const {
  if (quantized()) {
    SaveWeight(name, weight_, out);
  } else {
    out.emplace_back(name + ".weight", weight_);
  }
  if (bias_.defined()) out.emplace_back(name + ".bias", bias_);
}

void FoldedLinear::Load(const std::string& name, TensorReader& in, int64_t in_features, int64_t out_features,
                        bool quantized) {
  bias_ = in.Has(name + ".bias") ? in.Take(name + ".bias", at::kFloat, {out_features}) : at::Tensor();
  if (quantized) {
    weight_ = LoadWeight(name, in, {out_features, in_features});
    packed_ = PrepackLinear(weight_, bias_);
  } else {
    weight_ = in.Take(name + ".weight", at::kFloat, {out_features, in_features});
  }
}

}  // namespace vgg2::quant

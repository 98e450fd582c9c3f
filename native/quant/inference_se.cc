#include "quant/inference_se.h"

#include <ATen/ATen.h>

namespace vgg2::quant {

at::Tensor InferenceSE::Forward(const at::Tensor& x, bool observe) {
  const auto b = x.size(0), c = x.size(1);
  auto pooled = at::adaptive_avg_pool2d(x, {1, 1});
  if (pooled.is_quantized()) pooled = pooled.dequantize();
  auto gate = fc2_.Forward(fc1_.Forward(pooled.view({b, c})).relu_()).sigmoid_().view({b, c, 1, 1});
  if (quantized_output_) {
    // The gate is in [0, 1]: quint8 with scale 1/255 holds it to within 0.002.
    auto qgate = at::quantize_per_tensor(gate.to(at::kFloat), 1.0 / 255, 0, at::kQUInt8);
    return Mul(x, qgate, output_.params());
  }
  auto y = x * gate.to(x.scalar_type());
  if (observe) output_.Observe(y);
  return y;
}

void InferenceSE::Quantize(bool activations, ActivationRange::Method method) {
  fc1_.Quantize();
  fc2_.Quantize();
  if (!activations) return;
  output_.Choose(method);
  quantized_output_ = true;
}

void InferenceSE::Save(const std::string& name, TensorList& out) const {
  fc1_.Save(name + ".fc1", out);
  fc2_.Save(name + ".fc2", out);
  if (quantized_output_) output_.Save(name + ".output", out);
}

void InferenceSE::Load(const std::string& name, TensorReader& in, int64_t channels, int64_t reduced, bool weights_int8,
                       bool activations_int8) {
  fc1_.Load(name + ".fc1", in, channels, reduced, weights_int8);
  fc2_.Load(name + ".fc2", in, reduced, channels, weights_int8);
  quantized_output_ = activations_int8;
  if (activations_int8) output_.Load(name + ".output", in);
}

}  // namespace vgg2::quant

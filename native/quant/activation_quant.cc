#include "quant/activation_quant.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace vgg2::quant {

at::Tensor ActivationQuant::Quantize(const at::Tensor& x) const {
  return at::quantize_per_tensor(x.to(at::kFloat), params_.scale, params_.zero_point, at::kQUInt8);
}

void ActivationQuant::Save(const std::string& name, TensorList& out) const {
  out.emplace_back(name, at::tensor({static_cast<float>(params_.scale), static_cast<float>(params_.zero_point)}));
}

void ActivationQuant::Load(const std::string& name, TensorReader& in) {
  auto t = in.Take(name, at::kFloat, {2});
  const double scale = t[0].item<double>(), zero_point = t[1].item<double>();
  if (!std::isfinite(scale) || scale <= 0 || !(zero_point >= 0 && zero_point <= 255) ||
      zero_point != std::floor(zero_point)) {
    throw std::runtime_error("tensor '" + name + "' is not a valid quint8 scale and zero point (" +
                             std::to_string(scale) + ", " + std::to_string(zero_point) + "): the file is corrupt");
  }
  params_ = {scale, static_cast<int64_t>(zero_point)};
}

}  // namespace vgg2::quant

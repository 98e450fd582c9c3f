#include "quant/int8_weight.h"

#include <ATen/ATen.h>

#include <limits>
#include <stdexcept>

namespace vgg2::quant {

at::Tensor QuantizeWeight(const at::Tensor& weight) {
  auto w = weight.to(at::kFloat).contiguous();
  // Scales are fp32 values (held as double) so that the file's F32 table reproduces them exactly.
  auto amax = w.abs().flatten(1).amax(1);
  auto scales = (amax / 127.5).clamp_min(std::numeric_limits<float>::epsilon()).to(at::kDouble);
  auto zero_points = at::zeros({w.size(0)}, at::TensorOptions().dtype(at::kLong));
  return at::quantize_per_channel(w, scales, zero_points, 0, at::kQInt8);
}

void SaveWeight(const std::string& name, const at::Tensor& qweight, TensorList& out) {
  out.emplace_back(name + ".weight", qweight.int_repr().contiguous());
  out.emplace_back(name + ".weight_scale", qweight.q_per_channel_scales().to(at::kFloat).contiguous());
}

at::Tensor LoadWeight(const std::string& name, TensorReader& in, const std::vector<int64_t>& sizes) {
  auto values = in.Take(name + ".weight", at::kChar, sizes);
  auto scales = in.Take(name + ".weight_scale", at::kFloat, {values.size(0)});
  if (!at::isfinite(scales).all().item<bool>() || !(scales > 0).all().item<bool>()) {
    throw std::runtime_error("tensor '" + name +
                             ".weight_scale' holds a scale that is not finite and positive: the file is corrupt");
  }
  auto zero_points = at::zeros({values.size(0)}, at::TensorOptions().dtype(at::kLong));
  return at::_make_per_channel_quantized_tensor(values, scales.to(at::kDouble), zero_points, 0);
}

}  // namespace vgg2::quant

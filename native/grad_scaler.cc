#include "grad_scaler.h"

#include <ATen/ATen.h>

namespace vgg2 {

GradScaler::GradScaler(c10::Device device, double init_scale, int64_t growth_interval)
    : growth_interval_(growth_interval) {
  auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  scale_ = at::full({1}, init_scale, f32);
  growth_tracker_ = at::zeros({1}, f32.dtype(at::kInt));
  found_inf_ = at::zeros({1}, f32);
}

bool GradScaler::Unscale(const std::vector<at::Tensor>& params) {
  found_inf_.zero_();
  std::vector<at::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  auto inv_scale = scale_.to(at::kDouble).reciprocal().to(at::kFloat);
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
  return found_inf_.item<float>() == 0.0f;
}

void GradScaler::Update() { at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, 2.0, 0.5, growth_interval_); }

double GradScaler::scale() const { return scale_.item<float>(); }

}  // namespace vgg2

// Dynamic loss scaling for fp16 training on CUDA, by torch.cuda.amp.GradScaler's rules: scale the
// loss, unscale the gradients before the step, skip steps whose gradients hold inf/NaN and halve
// the scale, double it after `growth_interval` clean steps.
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <vector>

namespace vgg2 {

class GradScaler {
 public:
  explicit GradScaler(c10::Device device, double init_scale = 65536.0, int64_t growth_interval = 2000);
  at::Tensor Scale(const at::Tensor& loss) const { return loss * scale_; }
  // Unscales the gradients in place; false when any is inf/NaN (the step must be skipped).
  bool Unscale(const std::vector<at::Tensor>& params);
  // Adjusts the scale after a step (taken or skipped).
  void Update();
  double scale() const;

 private:
  at::Tensor scale_;           // float32 [1], on the device
  at::Tensor growth_tracker_;  // int32 [1]
  at::Tensor found_inf_;       // float32 [1]
  int64_t growth_interval_;
};

}  // namespace vgg2

// Mixed precision for the current thread, by RAII: autocast state is thread-local in LibTorch and
// a call's work runs on another thread than the JS one, so each call sets it there and clears it after.
#pragma once
#include <optional>
#include <ATen/autocast_mode.h>

#include "compat.h"

namespace vgg2 {

class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, std::optional<at::ScalarType> dtype) : device_(device), active_(dtype.has_value()) {
    if (!active_) return;
    at::autocast::increment_nesting();
    compat::SetAutocast(device_, true, *dtype);
  }
  ~AutocastGuard() {
    if (!active_) return;
    compat::SetAutocast(device_, false, at::kFloat);
    // Casted weight copies live in a cache until the outermost autocast region ends.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool active_;
};

}  // namespace vgg2

// Mixed precision for the current thread, by RAII: autocast state is thread-local in LibTorch, so
// each call sets it on the compute thread (task_thread.h) where it runs, and clears it after
// (the next call on that thread may be of another model, or not autocast).
#pragma once
#include <ATen/autocast_mode.h>

#include <optional>

#include "compat.h"

namespace vgg2 {

class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, std::optional<at::ScalarType> dtype)
      : device_(device), active_(dtype.has_value()) {
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

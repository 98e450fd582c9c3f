// The one place that knows the differences between LibTorch 1.13 and 2.x.
#pragma once
#include <ATen/autocast_mode.h>
#include <c10/util/StringUtil.h>
#include <torch/version.h>

#include <string>
#include <type_traits>

#define VGG2_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace vgg2::compat {

// 2.4 replaced the per-device autocast setters with ones that take a device type.
inline void SetAutocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if VGG2_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device, enabled);
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

// The key of a parameter's optimizer state: the TensorImpl address as a string in 1.13 (written
// as 1.13's c10::guts::to_string writes it, through an ostream; 2.x has no guts::to_string), the
// address itself in 2.x; taken from the map's own key type so that both compile.
template <typename StateMap>
typename StateMap::key_type OptimizerStateKey(const at::Tensor& parameter) {
  if constexpr (std::is_same_v<typename StateMap::key_type, std::string>) {
    return c10::str(parameter.unsafeGetTensorImpl());
  } else {
    return parameter.unsafeGetTensorImpl();
  }
}

// 2.4 added a libuv TCPStore server (on by default from 2.4); the classic one is in every build.
// A template so that this header needs no c10d include.
template <typename StoreOptions>
void UseClassicTcpStore(StoreOptions& options) {
#if VGG2_TORCH_AT_LEAST(2, 4)
  options.useLibUV = false;
#endif
}

}  // namespace vgg2::compat

#include "device.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <regex>
#include <stdexcept>

namespace vgg2 {

bool CudaAvailable() { return torch::cuda::is_available(); }

int CudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

c10::Device ParseDevice(const std::string& name) {
  if (name == "auto") return CudaAvailable() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (name == "cpu") return c10::Device(c10::kCPU);
  static const std::regex cuda_re("^cuda(:([0-9]{1,3}))?$");
  std::smatch m;
  if (!std::regex_match(name, m, cuda_re)) {
    throw std::invalid_argument("unknown device '" + name + "' (expected 'cpu', 'cuda', 'cuda:N' or 'auto')");
  }
  if (!CudaAvailable()) {
    throw std::out_of_range("device '" + name + "' asked for, but CUDA is not available: this LibTorch (" +
                            std::string(TORCH_VERSION) +
                            ") has no CUDA or sees no GPU; use device 'cpu' or 'auto', or rebuild with LIBTORCH "
                            "pointing at a CUDA LibTorch");
  }
  int index = m[2].matched ? std::stoi(m[2].str()) : 0;
  if (index >= CudaDeviceCount()) {
    throw std::out_of_range("device '" + name + "' asked for, but only " + std::to_string(CudaDeviceCount()) +
                            " CUDA device(s) exist");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace vgg2

// 'cpu' | 'cuda' | 'cuda:N' | 'auto' -> torch::Device, with the errors a user can act on.
#pragma once
#include <c10/core/Device.h>

#include <string>

namespace vgg2 {

// Throws std::invalid_argument for an unknown name and std::out_of_range when CUDA (or that
// CUDA device) is not available.
c10::Device ParseDevice(const std::string& name);
bool CudaAvailable();
int CudaDeviceCount();

}  // namespace vgg2

// The NVIDIA GPUs this machine has — name, memory, compute capability — asked of the CUDA driver.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vgg2 {

struct CudaDevice {
  int index = 0;
  std::string name;
  uint64_t total_memory = 0;  // bytes
  int major = 0, minor = 0;   // compute capability
  int multiprocessors = 0;
};

struct CudaDriver {
  int version = 0;  // e.g. 13000 for 13.0; 0 without a driver
  std::vector<CudaDevice> devices;
};

// Empty (version 0) when no NVIDIA driver is installed or it reports no device. The answer is
// read once and kept: the devices of a process do not change.
const CudaDriver& QueryCudaDriver();

}  // namespace vgg2

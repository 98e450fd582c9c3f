// The driver library (libcuda.so.1) ships with every NVIDIA driver and its C ABI is stable, so
// asking it needs no CUDA toolkit headers: this file compiles unchanged against a CPU-only
// LibTorch, and a CUDA LibTorch whose TorchConfig found no toolkit still reports its devices.
#include "cuda_devices.h"

#include <dlfcn.h>

#include <mutex>

namespace vgg2 {

namespace {
// The few driver API declarations used here (cuda.h: CUresult and CUdevice are ints).
using CuInit = int (*)(unsigned);
using CuDriverGetVersion = int (*)(int*);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(size_t*, int);
using CuDeviceGetAttribute = int (*)(int*, int, int);
constexpr int kAttrMultiprocessorCount = 16;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

template <typename F>
F Symbol(void* library, const char* name) {
  return reinterpret_cast<F>(dlsym(library, name));
}

CudaDriver Query() {
  CudaDriver out;
  // Kept open for the life of the process: LibTorch's CUDA runtime uses the same library.
  void* cuda = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!cuda) return out;
  auto init = Symbol<CuInit>(cuda, "cuInit");
  auto driver_version = Symbol<CuDriverGetVersion>(cuda, "cuDriverGetVersion");
  auto count = Symbol<CuDeviceGetCount>(cuda, "cuDeviceGetCount");
  auto get = Symbol<CuDeviceGet>(cuda, "cuDeviceGet");
  auto name = Symbol<CuDeviceGetName>(cuda, "cuDeviceGetName");
  auto total_mem = Symbol<CuDeviceTotalMem>(cuda, "cuDeviceTotalMem_v2");
  auto attribute = Symbol<CuDeviceGetAttribute>(cuda, "cuDeviceGetAttribute");
  int n = 0;
  if (!init || !driver_version || !count || !get || !name || !total_mem || !attribute || init(0) != 0 ||
      driver_version(&out.version) != 0 || count(&n) != 0) {
    out.version = 0;
    return out;
  }
  for (int i = 0; i < n; ++i) {
    int device = 0;
    if (get(&device, i) != 0) continue;
    CudaDevice d;
    d.index = i;
    char text[256] = {0};
    if (name(text, sizeof(text) - 1, device) == 0) d.name = text;
    size_t bytes = 0;
    if (total_mem(&bytes, device) == 0) d.total_memory = bytes;
    attribute(&d.major, kAttrComputeCapabilityMajor, device);
    attribute(&d.minor, kAttrComputeCapabilityMinor, device);
    attribute(&d.multiprocessors, kAttrMultiprocessorCount, device);
    out.devices.push_back(d);
  }
  return out;
}
}  // namespace

const CudaDriver& QueryCudaDriver() {
  static std::once_flag once;
  static CudaDriver driver;
  std::call_once(once, [] { driver = Query(); });
  return driver;
}

}  // namespace vgg2

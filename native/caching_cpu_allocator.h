// LibTorch's CPU allocator, with a cache of large blocks.
//
// Why: our steps run on libuv pool threads, and glibc gives non-main threads their own malloc
// arenas, built of 64 MB heaps that are mapped and unmapped as activations come and go. Measured
// on ResNet-50 (112 px, batch 16): ~120k page faults per training step against ~65k for PyTorch on
// its main thread, and a step up to 1.4x slower. A training step allocates the same sizes every
// time, so keeping freed large blocks for reuse removes those faults (and beats PyTorch's own).
// Small blocks go straight to malloc. The cache is bounded (VGG2_CPU_CACHE_MB, default 2048) and
// emptied by ReleaseCached() (on every Engine dispose).
#pragma once
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>
#include <c10/core/Allocator.h>

#include "compat.h"

namespace vgg2 {

class CachingCpuAllocator final : public c10::Allocator {
 public:
  // Installs the allocator as LibTorch's CPU allocator (once per process) and returns it.
  static CachingCpuAllocator& Install();

#if VGG2_TORCH_AT_LEAST(2, 3)
  c10::DataPtr allocate(size_t bytes) override;
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(size_t bytes) const override;
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &Free; }

  // Returns the cached (free) blocks to the system.
  void ReleaseCached();
  size_t cached_bytes() const;

 private:
  CachingCpuAllocator();
  void* Allocate(size_t bytes);
  void Release(void* ptr);
  static void Free(void* ptr);

  mutable std::mutex mutex_;
  std::unordered_map<void*, size_t> live_;                  // large blocks in use -> size class
  std::unordered_map<size_t, std::vector<void*>> free_;     // size class -> cached blocks
  size_t cached_bytes_ = 0;
  size_t limit_bytes_;
};

}  // namespace vgg2

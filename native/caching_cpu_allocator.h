// LibTorch's CPU allocator, with a cache of large blocks.
//
// Why: a training step allocates the same large activation sizes every time, and glibc maps and
// unmaps them anew (blocks over its mmap threshold, and the 64 MB heaps of a non-main thread's
// arena, where the compute thread runs): tens of thousands of page faults a step. Keeping freed
// large blocks for reuse removes them. Measured 2026-12-02 (Xeon, 2 cores, ResNet-50 fp32, 112 px,
// batch 16): ~35-51k faults and 1.8x the step time without the cache, ~6 faults with it;
// `npm run bench -- --only cpu-allocator` measures it again. Small blocks go straight to malloc.
// A request takes the smallest cached block of at least its size, up to twice it: batches of
// varying size (a service's) reuse one set of blocks instead of caching a set per size (measured
// 2026-12-05, ResNet-50 at 112 px, batch sizes 1-16 in turn: 260 MB cached, 588 MB with exact
// sizes only). The cache is bounded (VGG2_CPU_CACHE_MB, default 2048) and emptied by
// ReleaseCached() (on every Engine dispose).
#pragma once
#include <c10/core/Allocator.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

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

  // Large allocations served from the cache (hits) or from malloc (misses), since start.
  struct Stats {
    size_t cached_bytes, limit_bytes, hits, misses;
  };
  Stats stats() const;

 private:
  CachingCpuAllocator();
  void* Allocate(size_t bytes);
  void Release(void* ptr);
  static void Free(void* ptr);

  mutable std::mutex mutex_;
  std::unordered_map<void*, size_t> live_;     // large blocks in use -> size class
  std::map<size_t, std::vector<void*>> free_;  // size class -> cached blocks (never an empty list)
  size_t cached_bytes_ = 0;
  size_t limit_bytes_;
  size_t hits_ = 0;
  size_t misses_ = 0;
};

}  // namespace vgg2

#include "caching_cpu_allocator.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <new>

namespace vgg2 {

namespace {
constexpr size_t kAlignment = 64;           // c10's gAlignment
constexpr size_t kLargeBlock = 256 * 1024;  // smaller blocks come from malloc's bins without faults
constexpr size_t kGranule = 64 * 1024;      // large sizes are rounded up to this

size_t SizeClass(size_t bytes) { return (bytes + kGranule - 1) / kGranule * kGranule; }

void* AlignedAlloc(size_t bytes) {
  void* ptr = nullptr;
  if (posix_memalign(&ptr, kAlignment, bytes == 0 ? kAlignment : bytes) != 0) throw std::bad_alloc();
  return ptr;
}
}  // namespace

CachingCpuAllocator& CachingCpuAllocator::Install() {
  // Leaked on purpose: tensors may be freed during static destruction, after any owner is gone.
  static CachingCpuAllocator* instance = [] {
    auto* a = new CachingCpuAllocator();
    c10::SetCPUAllocator(a, /*priority=*/1);
    return a;
  }();
  return *instance;
}

CachingCpuAllocator::CachingCpuAllocator() {
  size_t mb = 2048;
  if (const char* env = std::getenv("VGG2_CPU_CACHE_MB")) mb = std::strtoull(env, nullptr, 10);
  limit_bytes_ = mb * 1024 * 1024;
}

void* CachingCpuAllocator::Allocate(size_t bytes) {
  if (bytes < kLargeBlock) return AlignedAlloc(bytes);
  const size_t size = SizeClass(bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.lower_bound(size);
    if (it != free_.end() && it->first <= 2 * size) {
      const size_t block = it->first;
      void* ptr = it->second.back();
      it->second.pop_back();
      if (it->second.empty()) free_.erase(it);
      cached_bytes_ -= block;
      live_.emplace(ptr, block);
      ++hits_;
      return ptr;
    }
  }
  void* ptr = AlignedAlloc(size);
  std::lock_guard<std::mutex> lock(mutex_);
  live_.emplace(ptr, size);
  ++misses_;
  return ptr;
}

void CachingCpuAllocator::Release(void* ptr) {
  if (!ptr) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(ptr);
    if (it != live_.end()) {
      const size_t size = it->second;
      live_.erase(it);
      if (cached_bytes_ + size <= limit_bytes_) {
        free_[size].push_back(ptr);
        cached_bytes_ += size;
        return;
      }
    }
  }
  std::free(ptr);
}

void CachingCpuAllocator::Free(void* ptr) { Install().Release(ptr); }

#if VGG2_TORCH_AT_LEAST(2, 3)
c10::DataPtr CachingCpuAllocator::allocate(size_t bytes) {
#else
c10::DataPtr CachingCpuAllocator::allocate(size_t bytes) const {
#endif
  void* ptr = const_cast<CachingCpuAllocator*>(this)->Allocate(bytes);
  return {ptr, ptr, &Free, c10::Device(c10::DeviceType::CPU)};
}

void CachingCpuAllocator::ReleaseCached() {
  std::vector<void*> blocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, list] : free_) blocks.insert(blocks.end(), list.begin(), list.end());
    free_.clear();
    cached_bytes_ = 0;
  }
  for (void* ptr : blocks) std::free(ptr);
}

CachingCpuAllocator::Stats CachingCpuAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {cached_bytes_, limit_bytes_, hits_, misses_};
}

}  // namespace vgg2

// A fixed set of threads for batch decoding. They share the cores with LibTorch's intra-op threads
// on purpose (decoding the next batch overlaps the current step), so the size is the caller's
// choice rather than "all cores".
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vgg2 {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(threads_.size()); }

  // Runs fn(task, worker) for every task in [0, n) on the pool's threads (worker in [0, size()),
  // so that callers can keep per-thread scratch) and returns when all are done. Several callers
  // may run at once; their tasks share the threads.
  void ParallelFor(int n, const std::function<void(int task, int worker)>& fn);

 private:
  void Loop(int worker);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(int worker)>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace vgg2

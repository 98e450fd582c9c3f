// The one thread that runs every LibTorch call of the process.
//
// Why: with OpenMP, each thread that starts a parallel op becomes the master of a team of its own.
// Run on libuv's pool, consecutive steps landed on different pool threads, so several teams took
// turns: each step woke a sleeping team, and with more OpenMP threads than cores libgomp throttles
// its spin-wait to almost nothing. Measured on 2 cores (ResNet-50 bf16 step, 112 px, batch 16):
// ~30,000 context switches and 1.5 busy cores vs PyTorch's 320 and 1.8, and a step 15% slower.
// One compute thread means one team that stays warm.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace vgg2 {

class ComputeThread {
 public:
  // The process-wide instance (started on first use, never stopped: it may be busy at exit).
  static ComputeThread& Instance();

  // Runs work on the compute thread, in FIFO order with other callers' work; blocks the calling
  // thread until it is done and rethrows what it threw.
  void Run(const std::function<void()>& work);

 private:
  ComputeThread();
  void Loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::thread::id id_;
};

}  // namespace vgg2

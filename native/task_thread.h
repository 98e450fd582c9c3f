// A thread that runs queued tasks one after another. Two exist, so that no libuv pool thread ever
// waits for native work (file reads, sharp and zlib keep the whole pool):
//
// Compute() runs every LibTorch call of the process. Why one thread: with OpenMP, each thread that
// starts a parallel op becomes the master of a team of its own. Run on libuv's pool, consecutive
// steps landed on different pool threads, so several teams took turns: each step woke a sleeping
// team, and with more OpenMP threads than cores libgomp throttles its spin-wait to almost nothing.
// Measured on 2 cores (ResNet-50 bf16 step, 112 px, batch 16): ~30,000 context switches and 1.5
// busy cores vs PyTorch's 320 and 1.8, and a step 15% slower. One compute thread means one team
// that stays warm.
//
// Decode() runs work that calls no LibTorch (decodeBatch, whose ParallelFor waits on its own
// pool), beside a training step rather than after it.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace vgg2 {

class TaskThread {
 public:
  // The process-wide instances, started on first use and never destroyed.
  static TaskThread& Compute();
  static TaskThread& Decode();

  // Queues `task` (which must not throw) to run on this thread in FIFO order; never waits for it,
  // so a task may queue more work, even on its own thread.
  void Post(std::function<void()> task);

  // At process exit: waits for the running task and starts no other, so that no task runs while
  // static destructors (oneDNN's, LibTorch's) run. libuv's pool used to wait for them so.
  void Stop();

 private:
  TaskThread();
  void Loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace vgg2

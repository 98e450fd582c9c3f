#include "jpeg/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace vgg2 {

ThreadPool::ThreadPool(int threads) {
  threads_.reserve(std::max(1, threads));
  for (int w = 0; w < std::max(1, threads); ++w) threads_.emplace_back([this, w] { Loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::Loop(int worker) {
  for (;;) {
    std::function<void(int)> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job(worker);
  }
}

void ThreadPool::ParallelFor(int n, const std::function<void(int, int)>& fn) {
  if (n <= 0) return;
  // One runner per thread pulls task indices from a shared counter: the queue holds a few runners,
  // not n closures, and a slow image doesn't hold back the others.
  struct State {
    std::atomic<int> next{0};
    int running;
    std::mutex mutex;
    std::condition_variable done;
  };
  auto state = std::make_shared<State>();
  const int runners = std::min(n, size());
  state->running = runners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int r = 0; r < runners; ++r) {
      queue_.emplace_back([state, n, &fn](int worker) {
        for (int task; (task = state->next.fetch_add(1)) < n;) fn(task, worker);
        std::lock_guard<std::mutex> l(state->mutex);
        if (--state->running == 0) state->done.notify_all();
      });
    }
  }
  wake_.notify_all();
  std::unique_lock<std::mutex> lock(state->mutex);
  state->done.wait(lock, [&] { return state->running == 0; });
}

}  // namespace vgg2

#include "compute_thread.h"

#include <future>
#include <memory>

namespace vgg2 {

ComputeThread& ComputeThread::Instance() {
  static ComputeThread* instance = new ComputeThread();  // leaked on purpose, see the header
  return *instance;
}

ComputeThread::ComputeThread() {
  std::thread thread([this] { Loop(); });
  id_ = thread.get_id();
  thread.detach();
}

void ComputeThread::Run(const std::function<void()>& work) {
  if (std::this_thread::get_id() == id_) return work();  // nested: no deadlock
  // Shared with the queued call, so that the compute thread never touches a task that this
  // thread has already destroyed after its future became ready.
  auto task = std::make_shared<std::packaged_task<void()>>(work);
  auto done = task->get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.emplace_back([task] { (*task)(); });
  }
  ready_.notify_one();
  done.get();  // rethrows
}

void ComputeThread::Loop() {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !queue_.empty(); });
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();  // a packaged_task: exceptions go to its future
  }
}

}  // namespace vgg2

#include "task_thread.h"

namespace vgg2 {

TaskThread& TaskThread::Compute() {
  static TaskThread* instance = new TaskThread();  // leaked on purpose, see the header
  return *instance;
}

TaskThread& TaskThread::Decode() {
  static TaskThread* instance = new TaskThread();
  return *instance;
}

TaskThread::TaskThread() {
  std::thread([this] { Loop(); }).detach();
}

void TaskThread::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void TaskThread::Stop() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  ready_.notify_all();
  idle_.wait(lock, [this] { return !running_; });
}

void TaskThread::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      running_ = false;
      idle_.notify_all();
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
    }
    task();
  }
}

}  // namespace vgg2

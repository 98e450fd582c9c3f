#include "threads.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "option_reader.h"

namespace vgg2 {

namespace {
std::atomic<int> desired_threads{1};
}

void InitThreads() {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("VGG2_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) threads = n;
  }
  desired_threads = threads > 0 ? threads : 1;
  ApplyThreads();
}

int DesiredThreads() { return desired_threads.load(); }

void ApplyThreads() {
  const int n = desired_threads.load();
  if (at::get_num_threads() != n) at::set_num_threads(n);
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  desired_threads = static_cast<int>(ToInt(info[0], "setThreads(n): n", 1, 1024));
  ApplyThreads();
  return info.Env().Undefined();
}

}  // namespace vgg2

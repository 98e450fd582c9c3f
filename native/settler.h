// Hands finished workers (promise_worker.h) back to the JS thread of their environment, through
// one thread-safe function per environment (in AddonData). It keeps the event loop alive only
// while a call is pending, so that a process neither exits before a promise settles nor is kept
// alive by an idle addon.
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>

namespace vgg2 {

class PromiseWorker;

class Settler {
 public:
  // JS thread, at module init.
  static std::shared_ptr<Settler> Create(Napi::Env env);

  // JS thread: a call has started and will Finish.
  void Begin(Napi::Env env);
  // Any thread: settles the worker's promise on the JS thread and deletes it there. When the
  // environment is gone, the worker is leaked instead: it may hold references into that
  // environment (a batch's memory), which can no longer be released.
  void Finish(PromiseWorker* worker);

 private:
  static void CallJs(Napi::Env env, Napi::Function, Settler* self, PromiseWorker* worker);
  using Tsfn = Napi::TypedThreadSafeFunction<Settler, PromiseWorker, &Settler::CallJs>;

  std::mutex mutex_;
  bool closed_ = false;  // the thread-safe function is finalized (environment teardown)
  Tsfn tsfn_;
  size_t pending_ = 0;  // JS thread only
};

}  // namespace vgg2

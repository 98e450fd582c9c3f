// Base of every long native call: options are parsed on the JS thread before construction, Run()
// is queued straight onto a task thread (task_thread.h: the compute thread for LibTorch work, the
// decode thread for the rest) and the result settles a Promise back on the JS thread (settler.h).
// No libuv pool thread waits for any of it. Any exception from Run() becomes a rejected Error with
// its first useful line.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

namespace vgg2 {

class Settler;

class PromiseWorker {
 public:
  explicit PromiseWorker(Napi::Env env);
  virtual ~PromiseWorker();
  PromiseWorker(const PromiseWorker&) = delete;
  PromiseWorker& operator=(const PromiseWorker&) = delete;

  // Queues the worker and returns its promise; the worker is deleted once the promise settles.
  Napi::Promise Start();
  // JS thread (from the Settler): resolves or rejects the promise.
  void Settle(Napi::Env env);

 protected:
  virtual void Run() = 0;                         // task thread
  virtual Napi::Value Result(Napi::Env env) = 0;  // JS thread
  // False for work that calls no LibTorch (it then runs beside a training step, not after it).
  virtual bool UsesTorch() const { return true; }

 private:
  void Execute();  // task thread

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Settler> settler_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace vgg2

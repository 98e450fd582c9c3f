// Base of every long native call: options are parsed on the JS thread before construction, the
// work runs in Run() on a libuv pool thread, and the result settles a Promise on the JS thread.
// Any exception from Run() becomes a rejected Error with its first useful line.
#pragma once
#include <napi.h>

#include "errors.h"
#include "threads.h"

namespace vgg2 {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}

  // Queues the worker and returns its promise (the worker deletes itself when done).
  Napi::Promise Start() {
    auto promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  virtual void Run() = 0;                          // worker thread
  virtual Napi::Value Result(Napi::Env env) = 0;   // JS thread

 private:
  void Execute() final {
    try {
      ApplyThreads();  // pool threads keep the count they first saw; setThreads may have changed it
      Run();
    } catch (const std::exception& e) {
      SetError(FirstLine(e));
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() final {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& error) final { deferred_.Reject(error.Value()); }

  Napi::Promise::Deferred deferred_;
};

}  // namespace vgg2

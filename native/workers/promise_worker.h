// Base of every long native call: options are parsed on the JS thread before construction, the
// work runs in Run() — on the compute thread (compute_thread.h) for LibTorch work, else on the
// libuv pool thread itself — and the result settles a Promise on the JS thread. Any exception
// from Run() becomes a rejected Error with its first useful line.
#pragma once
#include <napi.h>

#include "compute_thread.h"
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
  // False for work that calls no LibTorch (it then runs beside a training step, not after it).
  virtual bool UsesTorch() const { return true; }

 private:
  void Execute() final {
    try {
      if (!UsesTorch()) return Run();
      ComputeThread::Instance().Run([this] {
        ApplyThreads();  // setThreads may have changed the count since this thread last ran
        Run();
      });
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

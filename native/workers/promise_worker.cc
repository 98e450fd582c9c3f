#include "workers/promise_worker.h"

#include "addon_data.h"
#include "errors.h"
#include "settler.h"
#include "task_thread.h"
#include "threads.h"

namespace vgg2 {

PromiseWorker::PromiseWorker(Napi::Env env)
    : deferred_(Napi::Promise::Deferred::New(env)), settler_(env.GetInstanceData<AddonData>()->settler) {}

PromiseWorker::~PromiseWorker() = default;

Napi::Promise PromiseWorker::Start() {
  auto promise = deferred_.Promise();
  settler_->Begin(deferred_.Env());
  (UsesTorch() ? TaskThread::Compute() : TaskThread::Decode()).Post([this] { Execute(); });
  return promise;
}

void PromiseWorker::Execute() {
  try {
    if (UsesTorch()) ApplyThreads();  // setThreads may have changed the count since this thread last ran
    Run();
  } catch (const std::exception& e) {
    failed_ = true;
    error_ = FirstLine(e);
  } catch (...) {
    failed_ = true;
    error_ = "unknown native error";
  }
  auto settler = settler_;  // the JS thread may delete this worker before Finish returns
  settler->Finish(this);
}

void PromiseWorker::Settle(Napi::Env env) {
  try {
    if (failed_) return deferred_.Reject(Napi::Error::New(env, error_).Value());
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  } catch (const std::exception& e) {
    deferred_.Reject(Napi::Error::New(env, FirstLine(e)).Value());
  }
}

}  // namespace vgg2

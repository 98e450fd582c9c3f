#include "settler.h"

#include "workers/promise_worker.h"

namespace vgg2 {

std::shared_ptr<Settler> Settler::Create(Napi::Env env) {
  std::shared_ptr<Settler> settler(new Settler());
  // The thread-safe function owns a reference too: workers may still Finish after the addon's
  // instance data is gone, and the function's teardown still needs its context.
  settler->tsfn_ = Tsfn::New(
      env, "vgg2-torch settle", 0, 1, settler.get(),
      [](Napi::Env, std::shared_ptr<Settler>* owner, Settler* self) {
        {
          std::lock_guard<std::mutex> lock(self->mutex_);
          self->closed_ = true;
        }
        delete owner;
      },
      new std::shared_ptr<Settler>(settler));
  settler->tsfn_.Unref(env);
  return settler;
}

void Settler::Begin(Napi::Env env) {
  if (pending_++ == 0) tsfn_.Ref(env);
}

void Settler::Finish(PromiseWorker* worker) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!closed_ && tsfn_.NonBlockingCall(worker) == napi_ok) return;
  // Environment teardown: nobody awaits the promise any more (see the header for the leak).
}

void Settler::CallJs(Napi::Env env, Napi::Function, Settler* self, PromiseWorker* worker) {
  if (static_cast<napi_env>(env) == nullptr) return;  // teardown drains the queue: as in Finish
  if (--self->pending_ == 0) self->tsfn_.Unref(env);
  Napi::HandleScope scope(env);
  std::unique_ptr<PromiseWorker> owned(worker);
  owned->Settle(env);
}

}  // namespace vgg2

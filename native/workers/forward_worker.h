// Eval-mode forward of one batch: logits, pooled features and the embedding when the model has one.
#pragma once
#include <memory>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class ForwardWorker : public PromiseWorker {
 public:
  ForwardWorker(Napi::Env env, std::shared_ptr<Session> session, InputBatch batch)
      : PromiseWorker(env), session_(std::move(session)), batch_(std::move(batch)) {}

 protected:
  void Run() override { result_ = session_->Forward(batch_); }
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<Session> session_;
  InputBatch batch_;
  ForwardResult result_;
};

}  // namespace vgg2

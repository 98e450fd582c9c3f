// One training step: forward, cross-entropy, backward and (unless accumulating) the SGD update.
#pragma once
#include <memory>
#include <vector>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class StepWorker : public PromiseWorker {
 public:
  StepWorker(Napi::Env env, std::shared_ptr<Session> session, InputBatch batch, std::vector<int64_t> labels,
             StepOptions options)
      : PromiseWorker(env),
        session_(std::move(session)),
        batch_(std::move(batch)),
        labels_(std::move(labels)),
        options_(options) {}

 protected:
  void Run() override { result_ = session_->TrainStep(batch_, labels_, options_); }
  Napi::Value Result(Napi::Env env) override {
    auto out = Napi::Object::New(env);
    out.Set("loss", result_.loss);
    out.Set("top1", static_cast<double>(result_.top1));
    out.Set("top5", static_cast<double>(result_.top5));
    out.Set("skipped", result_.skipped);
    out.Set("lossScale", result_.loss_scale);
    if (result_.comm_wait_ms > 0) out.Set("commWaitMs", result_.comm_wait_ms);
    if (result_.distill_loss >= 0) out.Set("distillLoss", result_.distill_loss);
    return out;
  }

 private:
  std::shared_ptr<Session> session_;
  InputBatch batch_;
  std::vector<int64_t> labels_;
  StepOptions options_;
  StepResult result_;
};

}  // namespace vgg2

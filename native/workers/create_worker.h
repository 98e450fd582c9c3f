// Builds a Session (model, optimizer, scaler on its device) off the JS thread; resolves with an
// Engine wrapping it.
#pragma once
#include <memory>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class CreateWorker : public PromiseWorker {
 public:
  CreateWorker(Napi::Env env, SessionConfig config) : PromiseWorker(env), config_(std::move(config)) {}

 protected:
  void Run() override { session_ = std::make_shared<Session>(config_); }
  Napi::Value Result(Napi::Env env) override;

 private:
  SessionConfig config_;
  std::shared_ptr<Session> session_;
};

}  // namespace vgg2

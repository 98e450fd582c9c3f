// Writes a training checkpoint: the model's state and the optimizer's momentum buffers in one
// safetensors file (written atomically), with the caller's metadata (trainer state as JSON).
#pragma once
#include <memory>
#include <string>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class CheckpointSaveWorker : public PromiseWorker {
 public:
  CheckpointSaveWorker(Napi::Env env, std::shared_ptr<Session> session, std::string path, Metadata metadata)
      : PromiseWorker(env), session_(std::move(session)), path_(std::move(path)), metadata_(std::move(metadata)) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<Session> session_;
  std::string path_;
  Metadata metadata_;
};

}  // namespace vgg2

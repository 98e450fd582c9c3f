// Saves a session's weights (parameters and buffers) as safetensors, atomically; a checkpoint
// also holds the optimizer's momentum buffers; kPytorch writes a torch.load-able state_dict.
#pragma once
#include <memory>
#include <string>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

enum class SaveKind { kWeights, kCheckpoint, kPytorch };

class SaveWorker : public PromiseWorker {
 public:
  SaveWorker(Napi::Env env, std::shared_ptr<Session> session, std::string path, Metadata metadata, SaveKind kind)
      : PromiseWorker(env),
        session_(std::move(session)),
        path_(std::move(path)),
        metadata_(std::move(metadata)),
        kind_(kind) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<Session> session_;
  std::string path_;
  Metadata metadata_;
  SaveKind kind_;
};

}  // namespace vgg2

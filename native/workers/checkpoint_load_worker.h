// Restores a training checkpoint (model state and momentum buffers, both checked before either is
// changed); resolves with its metadata.
#pragma once
#include <memory>
#include <string>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class CheckpointLoadWorker : public PromiseWorker {
 public:
  CheckpointLoadWorker(Napi::Env env, std::shared_ptr<Session> session, std::string path)
      : PromiseWorker(env), session_(std::move(session)), path_(std::move(path)) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<Session> session_;
  std::string path_;
  Metadata metadata_;
};

}  // namespace vgg2

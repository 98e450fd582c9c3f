// Loads weights (safetensors or a PyTorch state_dict zip) into a session.
#pragma once
#include <memory>
#include <string>

#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::shared_ptr<Session> session, std::string path, bool strict)
      : PromiseWorker(env), session_(std::move(session)), path_(std::move(path)), strict_(strict) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<Session> session_;
  std::string path_;
  bool strict_;
  Metadata metadata_;
  LoadReport report_;
};

}  // namespace vgg2

// engine.joinProcessGroup(group): broadcasts rank 0's weights and buffers (on the compute thread,
// in order with every other collective) and makes the model's steps data-parallel.
#pragma once
#include <memory>

#include "dist/process_group.h"
#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2::dist {

class JoinWorker : public PromiseWorker {
 public:
  JoinWorker(Napi::Env env, std::shared_ptr<Session> session, std::shared_ptr<ProcessGroup> group, bool sync_batch_norm)
      : PromiseWorker(env), session_(std::move(session)), group_(std::move(group)), sync_batch_norm_(sync_batch_norm) {}

 protected:
  void Run() override { session_->JoinGroup(group_, sync_batch_norm_); }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<Session> session_;
  std::shared_ptr<ProcessGroup> group_;
  bool sync_batch_norm_;
};

}  // namespace vgg2::dist

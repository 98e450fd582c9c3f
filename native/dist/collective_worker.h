// One small collective from JS (allReduce sum, broadcast, barrier) on the compute thread, so that it
// queues behind the training steps in the same order on every rank.
#pragma once
#include <memory>
#include <vector>

#include "dist/process_group.h"
#include "workers/promise_worker.h"

namespace vgg2::dist {

class CollectiveWorker : public PromiseWorker {
 public:
  enum class Kind { kAllReduceSum, kBroadcast, kBarrier };
  CollectiveWorker(Napi::Env env, std::shared_ptr<ProcessGroup> group, Kind kind, std::vector<double> values,
                   int root = 0)
      : PromiseWorker(env), group_(std::move(group)), kind_(kind), values_(std::move(values)), root_(root) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<ProcessGroup> group_;
  Kind kind_;
  std::vector<double> values_;
  int root_;
};

// The rendezvous: meets the other ranks off the JS thread (and off the compute thread: it may wait
// for minutes and runs no LibTorch kernel).
class ConnectWorker : public PromiseWorker {
 public:
  ConnectWorker(Napi::Env env, GroupOptions options) : PromiseWorker(env), options_(std::move(options)) {}

 protected:
  void Run() override { group_ = std::make_shared<ProcessGroup>(options_); }
  Napi::Value Result(Napi::Env env) override;
  bool UsesTorch() const override { return false; }

 private:
  GroupOptions options_;
  std::shared_ptr<ProcessGroup> group_;
};

}  // namespace vgg2::dist

// The JS face of a dist::ProcessGroup: made by createProcessGroup(options) (a Promise: the
// rendezvous waits for every rank), with allReduce / broadcast / barrier of small Float64Arrays
// (step metrics, the stop flag, schedule state) and close(). Its collectives are queued on the
// compute thread behind any training step, so every rank issues them in the same order.
#pragma once
#include <napi.h>

#include <memory>

#include "dist/process_group.h"

namespace vgg2::dist {

class GroupWrap : public Napi::ObjectWrap<GroupWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Value Wrap(Napi::Env env, std::shared_ptr<ProcessGroup> group);
  // The group of a JS ProcessGroup (a TypeError for anything else; an Error once closed).
  static std::shared_ptr<ProcessGroup> From(const Napi::Value& value);
  explicit GroupWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value AllReduce(const Napi::CallbackInfo& info);
  Napi::Value Broadcast(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetRank(const Napi::CallbackInfo& info);
  Napi::Value GetWorldSize(const Napi::CallbackInfo& info);
  std::shared_ptr<ProcessGroup> Live(Napi::Env env) const;

  std::shared_ptr<ProcessGroup> group_;
};

// createProcessGroup({ rank, worldSize, masterAddr, masterPort, timeoutMs, backend }).
Napi::Value CreateProcessGroup(const Napi::CallbackInfo& info);

}  // namespace vgg2::dist

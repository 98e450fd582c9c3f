// The JS face of a Session: a model (+ optimizer, scaler) on a device. Every long method queues a
// worker and returns a Promise; dispose() drops the model at once (a call in flight keeps it
// alive until it settles), and the finaliser is the safety net.
#pragma once
#include <napi.h>

#include <memory>

#include "session.h"

namespace vgg2 {

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  // A new JS Engine owning `session` (the constructor is not callable from JS).
  static Napi::Value Wrap(Napi::Env env, std::shared_ptr<Session> session);
  explicit Engine(const Napi::CallbackInfo& info);

 private:
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value SaveCheckpoint(const Napi::CallbackInfo& info);
  Napi::Value QueueSave(const Napi::CallbackInfo& info, const char* method, bool checkpoint);
  Napi::Value LoadCheckpoint(const Napi::CallbackInfo& info);
  Napi::Value Quantize(const Napi::CallbackInfo& info);
  Napi::Value JoinProcessGroup(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetParameterCount(const Napi::CallbackInfo& info);
  Napi::Value GetConfig(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);

  // The session, or an Error when disposed.
  std::shared_ptr<Session> Live(Napi::Env env) const;

  std::shared_ptr<Session> session_;
};

}  // namespace vgg2

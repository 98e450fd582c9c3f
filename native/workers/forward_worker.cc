#include "workers/forward_worker.h"

#include "convert.h"

namespace vgg2 {

Napi::Value ForwardWorker::Result(Napi::Env env) {
  auto out = Napi::Object::New(env);
  out.Set("logits", ToFloat32Array(env, result_.logits));
  out.Set("features", ToFloat32Array(env, result_.features));
  if (result_.embedding.defined()) out.Set("embedding", ToFloat32Array(env, result_.embedding));
  return out;
}

}  // namespace vgg2

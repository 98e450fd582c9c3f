#include "workers/load_worker.h"

#include <stdexcept>

#include "convert.h"
#include "weights/weights_file.h"

namespace vgg2 {

void LoadWorker::Run() {
  auto file = ReadWeightsFile(path_);
  metadata_ = std::move(file.metadata);
  try {
    report_ = session_->LoadStateDict(file.tensors, strict_);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("'" + path_ + "': " + e.what());
  }
}

Napi::Value LoadWorker::Result(Napi::Env env) {
  auto out = Napi::Object::New(env);
  out.Set("metadata", ToObject(env, metadata_));
  out.Set("missing", ToStringArray(env, report_.missing));
  out.Set("unexpected", ToStringArray(env, report_.unexpected));
  out.Set("mismatched", ToStringArray(env, report_.mismatched));
  return out;
}

}  // namespace vgg2

#include "workers/inspect_worker.h"

#include "convert.h"
#include "weights/weights_file.h"

namespace vgg2 {

void InspectWorker::Run() { file_ = ReadWeightsFile(path_); }

Napi::Value InspectWorker::Result(Napi::Env env) {
  auto out = Napi::Object::New(env);
  out.Set("metadata", ToObject(env, file_.metadata));
  auto tensors = Napi::Object::New(env);
  for (const auto& [name, tensor] : file_.tensors) {
    auto shape = Napi::Array::New(env, tensor.dim());
    for (int64_t i = 0; i < tensor.dim(); ++i) shape.Set(static_cast<uint32_t>(i), static_cast<double>(tensor.size(i)));
    tensors.Set(name, shape);
  }
  out.Set("shapes", tensors);
  return out;
}

}  // namespace vgg2

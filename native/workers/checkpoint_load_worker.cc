#include "workers/checkpoint_load_worker.h"

#include <stdexcept>

#include "convert.h"
#include "weights/safetensors.h"

namespace vgg2 {

void CheckpointLoadWorker::Run() {
  auto file = ReadSafetensors(path_);  // validates the whole file first
  if (file.metadata.count("checkpoint") == 0) {
    throw std::runtime_error("'" + path_ + "' is a weights file, not a training checkpoint");
  }
  try {
    // Each call checks its part before changing anything; a model of another shape fails first.
    session_->LoadStateDict(file.tensors, /*strict=*/true);
    session_->LoadOptimizerState(file.tensors);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("'" + path_ + "': " + e.what());
  }
  metadata_ = std::move(file.metadata);
}

Napi::Value CheckpointLoadWorker::Result(Napi::Env env) { return ToObject(env, metadata_); }

}  // namespace vgg2

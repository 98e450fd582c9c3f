#include "workers/save_worker.h"

#include "weights/safetensors.h"

namespace vgg2 {

void SaveWorker::Run() {
  const auto& model = session_->config().model;
  // The model describes itself, so that a saved file loads without restating it.
  metadata_["arch"] = model.arch;
  metadata_["num_classes"] = std::to_string(model.num_classes);
  metadata_["embedding_dim"] = std::to_string(model.embedding_dim);
  WriteSafetensors(path_, session_->StateDict(), metadata_);
}

}  // namespace vgg2

#include "workers/checkpoint_save_worker.h"

#include "weights/safetensors.h"

namespace vgg2 {

void CheckpointSaveWorker::Run() {
  const auto& model = session_->config().model;
  // Described like a weights file, so that a checkpoint also loads wherever weights do.
  metadata_["arch"] = model.arch;
  metadata_["num_classes"] = std::to_string(model.num_classes);
  metadata_["embedding_dim"] = std::to_string(model.embedding_dim);
  metadata_["checkpoint"] = "1";  // format version; what tells a checkpoint from a weights file
  auto tensors = session_->StateDict();
  for (auto& item : session_->OptimizerState()) tensors.push_back(std::move(item));
  WriteSafetensors(path_, tensors, metadata_);
}

}  // namespace vgg2

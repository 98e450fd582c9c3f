#include "workers/save_worker.h"

#include "weights/safetensors.h"
#include "weights/torch_zip.h"

namespace vgg2 {

void SaveWorker::Run() {
  const auto& model = session_->config().model;
  // The model describes itself, so that a saved file (checkpoints too) loads without restating it.
  metadata_["arch"] = model.arch;
  metadata_["num_classes"] = std::to_string(model.num_classes);
  metadata_["embedding_dim"] = std::to_string(model.embedding_dim);
  if (model.v1()) metadata_["variant"] = model.variant;
  const auto& inference = session_->config().inference;
  if (!inference.empty()) {
    if (kind_ == SaveKind::kCheckpoint)
      throw std::runtime_error("a " + inference + " model cannot train, so it has no checkpoint: save() it");
    metadata_["inference"] = inference;  // what describes and loads it as an inference-only model
  }
  auto tensors = session_->StateDict();
  if (kind_ == SaveKind::kCheckpoint) {
    metadata_["checkpoint"] = "1";  // format version; what tells a checkpoint from a weights file
    for (auto& item : session_->OptimizerState()) tensors.push_back(std::move(item));
  }
  if (kind_ == SaveKind::kPytorch) {
    WriteTorchStateDict(path_, tensors);
  } else {
    WriteSafetensors(path_, tensors, metadata_);
  }
}

}  // namespace vgg2

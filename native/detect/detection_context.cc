#include "detect/detection_context.h"

namespace vgg2 {

DetectionContext::DetectionContext(int threads) : pool_(threads), detectors_(threads) {}

FaceDetector& DetectionContext::Detector(int worker) {
  auto& d = detectors_[worker];
  if (!d) d = std::make_unique<FaceDetector>();
  return *d;
}

std::shared_ptr<const LandmarkModel> DetectionContext::Landmarks(const std::string& path) {
  // Held while loading, so that two calls don't read the same 100 MB twice.
  std::lock_guard<std::mutex> lock(models_mutex_);
  auto it = models_.find(path);
  if (it != models_.end()) return it->second;
  auto model = std::make_shared<const LandmarkModel>(path);
  models_[path] = model;
  return model;
}

}  // namespace vgg2

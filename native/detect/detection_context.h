// What detection keeps between calls, per environment (AddonData): a pool of threads, one face
// detector per pool thread (made by that thread on first use), and the landmark models by path,
// each loaded once (on a worker thread: 100 MB) and shared.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "detect/face_detector.h"
#include "detect/landmark_model.h"
#include "jpeg/thread_pool.h"

namespace vgg2 {

class DetectionContext {
 public:
  explicit DetectionContext(int threads);

  ThreadPool& pool() { return pool_; }
  // The detector of pool thread `worker` (only that thread calls this with its index).
  FaceDetector& Detector(int worker);
  // Loads on first use; a file that fails to load is tried again next time (it may be fixed).
  std::shared_ptr<const LandmarkModel> Landmarks(const std::string& path);

 private:
  ThreadPool pool_;
  std::vector<std::unique_ptr<FaceDetector>> detectors_;
  std::mutex models_mutex_;
  std::map<std::string, std::shared_ptr<const LandmarkModel>> models_;
};

}  // namespace vgg2

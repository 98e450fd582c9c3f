// detectFaces(images, {upsample, landmarks, landmarksModel}): faces of several RGB images, in
// parallel on the detection pool (no LibTorch: it runs beside a training step). Options and the
// images' sizes are checked on the JS thread; the pixel buffers stay referenced until it settles.
// Resolves with, per image, its faces: {box: [x, y, w, h], score, landmarks?: Float32Array(136),
// points?: Float32Array(10)} (points: left eye, right eye, nose tip, mouth corners).
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "detect/detection_context.h"
#include "detect/face.h"
#include "workers/promise_worker.h"

namespace vgg2 {

struct DetectImage {
  const uint8_t* rgb;
  int width;
  int height;
};

class DetectWorker : public PromiseWorker {
 public:
  DetectWorker(Napi::Env env, std::shared_ptr<DetectionContext> context, std::vector<DetectImage> images, int upsample,
               std::string landmarks_path, Napi::Array keep);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  bool UsesTorch() const override { return false; }

 private:
  std::shared_ptr<DetectionContext> context_;
  std::vector<DetectImage> images_;
  int upsample_;
  std::string landmarks_path_;  // empty: no landmarks
  Napi::Reference<Napi::Array> keep_;
  std::vector<std::vector<DetectedFace>> faces_;
  std::vector<std::string> errors_;
};

// The module function: parses its arguments and starts a DetectWorker.
Napi::Value DetectFaces(const Napi::CallbackInfo& info);

}  // namespace vgg2

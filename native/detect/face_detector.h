// dlib's HOG + linear SVM frontal face detector (compiled into libdlib, no model file). One per
// thread: the detector object keeps scratch buffers and must not be shared by concurrent calls.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "detect/face.h"
#include "detect/landmark_model.h"

namespace vgg2 {

class FaceDetector {
 public:
  FaceDetector();
  ~FaceDetector();

  // Faces of an RGB image (width x height x 3), upsampled `upsample` times first (finds faces down
  // to ~40 px / 2^upsample), with landmarks when `landmarks` is given. Boxes in the image's pixels.
  std::vector<DetectedFace> Detect(const uint8_t* rgb, int width, int height, int upsample,
                                   const LandmarkModel* landmarks);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether this addon was built with dlib (VGG2_HAVE_DLIB).
bool HaveDlib();

}  // namespace vgg2

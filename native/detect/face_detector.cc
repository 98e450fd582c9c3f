#include "detect/face_detector.h"

#include <algorithm>
#include <stdexcept>

#ifdef VGG2_HAVE_DLIB
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

namespace vgg2 {

using GreyImage = dlib::array2d<unsigned char>;

bool HaveDlib() { return true; }

struct FaceDetector::Impl {
  dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
};

FaceDetector::FaceDetector() : impl_(std::make_unique<Impl>()) {}
FaceDetector::~FaceDetector() = default;

std::vector<DetectedFace> FaceDetector::Detect(const uint8_t* rgb, int width, int height, int upsample,
                                               const LandmarkModel* landmarks) {
  // Grey (ITU-R BT.601, as dlib's own RGB -> grey) at full size: landmarks are found on it.
  GreyImage grey;
  grey.set_size(height, width);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const uint8_t* p = rgb + (static_cast<size_t>(r) * width + c) * 3;
      grey[r][c] = static_cast<unsigned char>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
    }
  GreyImage scaled;
  const GreyImage* search = &grey;
  double scale = 1;
  if (upsample > 0) {
    dlib::assign_image(scaled, grey);
    for (int i = 0; i < upsample; ++i) {
      dlib::pyramid_up(scaled);
      scale *= 2;
    }
    search = &scaled;
  }
  std::vector<dlib::rect_detection> found;
  impl_->detector(*search, found, 0.0);
  std::vector<DetectedFace> faces;
  for (const auto& d : found) {
    DetectedFace f;
    // Back to the image's pixels, clipped to it (dlib's boxes may overhang an edge).
    const double left = std::max(0.0, d.rect.left() / scale), top = std::max(0.0, d.rect.top() / scale);
    const double right = std::min<double>(width, (d.rect.right() + 1) / scale);
    const double bottom = std::min<double>(height, (d.rect.bottom() + 1) / scale);
    if (right <= left || bottom <= top) continue;
    f.x = static_cast<float>(left), f.y = static_cast<float>(top);
    f.width = static_cast<float>(right - left), f.height = static_cast<float>(bottom - top);
    f.score = static_cast<float>(d.detection_confidence);
    if (landmarks) f.landmarks = landmarks->Predict(&grey, f.x, f.y, f.width, f.height);
    faces.push_back(std::move(f));
  }
  return faces;
}

}  // namespace vgg2

#else

namespace vgg2 {

bool HaveDlib() { return false; }
struct FaceDetector::Impl {};
FaceDetector::FaceDetector() { throw std::runtime_error(kNoDlib); }
FaceDetector::~FaceDetector() = default;
std::vector<DetectedFace> FaceDetector::Detect(const uint8_t*, int, int, int, const LandmarkModel*) {
  throw std::runtime_error(kNoDlib);
}

}  // namespace vgg2

#endif

// dlib's 68-point shape predictor, loaded once per file and shared by every detection thread
// (prediction is const). A missing or damaged file is an error naming it, not a crash.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace vgg2 {

// Without dlib (VGG2_HAVE_DLIB unset) the addon still builds; every detection call fails with this.
inline constexpr const char* kNoDlib =
    "this vgg2-torch was built without dlib: apt-get install libdlib-dev libdlib-data, then npm run build:native";

class LandmarkModel {
 public:
  // Debian's libdlib-data.
  static constexpr const char* kDefaultPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

  explicit LandmarkModel(const std::string& path);
  ~LandmarkModel();

  // The 68 points (x, y in the image's pixels) of the face in box (x, y, w, h) of a grey image.
  std::vector<float> Predict(const void* grey_image, float x, float y, float w, float h) const;
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgg2

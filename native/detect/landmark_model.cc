#include "detect/landmark_model.h"

#include <stdexcept>
#include <string>

#ifdef VGG2_HAVE_DLIB
#include <dlib/image_processing.h>
#include <dlib/serialize.h>

#include <fstream>

namespace vgg2 {

using GreyImage = dlib::array2d<unsigned char>;

struct LandmarkModel::Impl {
  dlib::shape_predictor predictor;
};

LandmarkModel::LandmarkModel(const std::string& path) : path_(path), impl_(std::make_unique<Impl>()) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the landmark model (Debian: apt-get install libdlib-data)");
  try {
    dlib::deserialize(impl_->predictor, in);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        path + ": not a dlib shape predictor (damaged or another file): " + std::string(e.what()).substr(0, 200));
  }
  if (impl_->predictor.num_parts() != 68)
    throw std::runtime_error(path + ": a shape predictor of " + std::to_string(impl_->predictor.num_parts()) +
                             " points; the 68-point model is needed");
}

LandmarkModel::~LandmarkModel() = default;

std::vector<float> LandmarkModel::Predict(const void* grey, float x, float y, float w, float h) const {
  const auto& img = *static_cast<const GreyImage*>(grey);
  dlib::rectangle box(static_cast<long>(x), static_cast<long>(y), static_cast<long>(x + w - 1),
                      static_cast<long>(y + h - 1));
  dlib::full_object_detection shape = impl_->predictor(img, box);
  std::vector<float> out(2 * shape.num_parts());
  for (unsigned long i = 0; i < shape.num_parts(); ++i) {
    out[2 * i] = static_cast<float>(shape.part(i).x());
    out[2 * i + 1] = static_cast<float>(shape.part(i).y());
  }
  return out;
}

}  // namespace vgg2

#else

namespace vgg2 {

struct LandmarkModel::Impl {};
LandmarkModel::LandmarkModel(const std::string& path) : path_(path) { throw std::runtime_error(kNoDlib); }
LandmarkModel::~LandmarkModel() = default;
std::vector<float> LandmarkModel::Predict(const void*, float, float, float, float) const {
  throw std::runtime_error(kNoDlib);
}

}  // namespace vgg2

#endif

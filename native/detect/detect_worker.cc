#include "detect/detect_worker.h"

#include <stdexcept>
#include <thread>

#include "addon_data.h"
#include "errors.h"
#include "option_reader.h"

namespace vgg2 {

namespace {
// dlib's HOG pyramid of a 16000 px side would take gigabytes: the JS side downscales big photos
// (lib/detect, maxSide); this bounds what reaches native code whatever the caller does.
constexpr int64_t kMaxSide = 8192;
}  // namespace

DetectWorker::DetectWorker(Napi::Env env, std::shared_ptr<DetectionContext> context, std::vector<DetectImage> images,
                           int upsample, std::string landmarks_path, Napi::Array keep)
    : PromiseWorker(env),
      context_(std::move(context)),
      images_(std::move(images)),
      upsample_(upsample),
      landmarks_path_(std::move(landmarks_path)),
      keep_(Napi::Persistent(keep)) {}

void DetectWorker::Run() {
  std::shared_ptr<const LandmarkModel> model;
  if (!landmarks_path_.empty()) model = context_->Landmarks(landmarks_path_);
  faces_.assign(images_.size(), {});
  errors_.assign(images_.size(), {});
  context_->pool().ParallelFor(static_cast<int>(images_.size()), [&](int i, int worker) {
    try {
      const auto& im = images_[i];
      faces_[i] = context_->Detector(worker).Detect(im.rgb, im.width, im.height, upsample_, model.get());
    } catch (const std::exception& e) {
      errors_[i] = e.what();
    }
  });
  for (const auto& e : errors_)
    if (!e.empty()) throw std::runtime_error(e);
}

Napi::Value DetectWorker::Result(Napi::Env env) {
  auto out = Napi::Array::New(env, faces_.size());
  for (size_t i = 0; i < faces_.size(); ++i) {
    auto list = Napi::Array::New(env, faces_[i].size());
    for (size_t j = 0; j < faces_[i].size(); ++j) {
      const auto& f = faces_[i][j];
      auto face = Napi::Object::New(env);
      auto box = Napi::Array::New(env, 4);
      box.Set(0u, f.x), box.Set(1u, f.y), box.Set(2u, f.width), box.Set(3u, f.height);
      face.Set("box", box);
      face.Set("score", f.score);
      if (!f.landmarks.empty()) {
        auto lm = Napi::Float32Array::New(env, f.landmarks.size());
        std::copy(f.landmarks.begin(), f.landmarks.end(), lm.Data());
        face.Set("landmarks", lm);
        auto five = FivePoints(f.landmarks);
        auto points = Napi::Float32Array::New(env, five.size());
        std::copy(five.begin(), five.end(), points.Data());
        face.Set("points", points);
      }
      list.Set(static_cast<uint32_t>(j), face);
    }
    out.Set(static_cast<uint32_t>(i), list);
  }
  return out;
}

Napi::Value DetectFaces(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto env = info.Env();
    if (!info[0].IsArray()) ThrowType(env, "detectFaces(images, options): images must be an array");
    auto list = info[0].As<Napi::Array>();
    OptionReader opts(info[1]);
    const int upsample = static_cast<int>(opts.Int("upsample", 0, 3, 0));
    const bool landmarks = opts.Bool("landmarks", true);
    const std::string path = opts.String("landmarksModel", std::string(LandmarkModel::kDefaultPath));
    std::vector<DetectImage> images;
    auto keep = Napi::Array::New(env, list.Length());
    for (uint32_t i = 0; i < list.Length(); ++i) {
      const std::string where = "images[" + std::to_string(i) + "]";
      OptionReader o(list.Get(i), where);
      auto data = o.Get("data");
      if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        ThrowType(env, where + ".data must be a Uint8Array of RGB pixels");
      const int64_t w = o.Int("width", 1, kMaxSide), h = o.Int("height", 1, kMaxSide);
      auto bytes = data.As<Napi::Uint8Array>();
      if (bytes.ByteLength() < static_cast<size_t>(w * h * 3))
        ThrowRange(env, where + ": " + std::to_string(bytes.ByteLength()) + " bytes, " + std::to_string(w) + "x" +
                            std::to_string(h) + "x3 needs " + std::to_string(w * h * 3));
      images.push_back({bytes.Data(), static_cast<int>(w), static_cast<int>(h)});
      keep.Set(i, data);
    }
    auto* addon = env.GetInstanceData<AddonData>();
    if (!addon->detection)
      addon->detection = std::make_shared<DetectionContext>(std::max(1u, std::thread::hardware_concurrency()));
    return (new DetectWorker(env, addon->detection, std::move(images), upsample, landmarks ? path : "", keep))->Start();
  });
}

}  // namespace vgg2

#include "batch.h"

#include <ATen/ATen.h>

#include "errors.h"
#include "option_reader.h"

namespace vgg2 {

namespace {
constexpr int64_t kMinSide = 32;  // ResNet-50 downsamples 32x
constexpr int64_t kMaxSide = 4096;

std::vector<int64_t> ParseShape(Napi::Env env, const Napi::Value& value) {
  if (!value.IsArray()) ThrowType(env, "shape must be an array of 4 integers");
  auto array = value.As<Napi::Array>();
  if (array.Length() != 4) ThrowRange(env, "shape must have 4 dimensions, got " + std::to_string(array.Length()));
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < 4; ++i) shape.push_back(ToInt(array.Get(i), "shape[" + std::to_string(i) + "]", 1, 1000000));
  return shape;
}

std::string ShapeText(const std::vector<int64_t>& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + ", " +
         std::to_string(s[3]) + "]";
}
}  // namespace

InputBatch ParseInput(const Napi::Value& data, const Napi::Value& shape_value) {
  Napi::Env env = data.Env();
  if (!data.IsTypedArray()) ThrowType(env, "input must be a Uint8Array/Buffer (uint8 NHWC) or a Float32Array (NCHW)");
  auto typed = data.As<Napi::TypedArray>();
  InputBatch batch;
  batch.shape = ParseShape(env, shape_value);
  const auto& s = batch.shape;
  int64_t h, w, channels;
  if (typed.TypedArrayType() == napi_uint8_array || typed.TypedArrayType() == napi_uint8_clamped_array) {
    batch.is_uint8 = true;
    h = s[1], w = s[2], channels = s[3];
    if (channels != 3) ThrowRange(env, "uint8 input is NHWC RGB: shape[3] must be 3, got shape " + ShapeText(s));
  } else if (typed.TypedArrayType() == napi_float32_array) {
    channels = s[1], h = s[2], w = s[3];
    if (channels != 3) ThrowRange(env, "float32 input is NCHW: shape[1] must be 3, got shape " + ShapeText(s));
  } else {
    ThrowType(env,
              "input must be a Uint8Array/Buffer (uint8 NHWC) or a Float32Array (NCHW); other dtypes are not accepted");
  }
  if (h < kMinSide || w < kMinSide || h > kMaxSide || w > kMaxSide) {
    ThrowRange(env, "input height and width must be in [" + std::to_string(kMinSide) + ", " + std::to_string(kMaxSide) +
                        "], got shape " + ShapeText(s));
  }
  const size_t expected = static_cast<size_t>(s[0] * s[1] * s[2] * s[3]);
  if (typed.ElementLength() != expected) {
    ThrowRange(env, "input has " + std::to_string(typed.ElementLength()) + " elements but shape " + ShapeText(s) +
                        " needs " + std::to_string(expected));
  }
  batch.data = static_cast<uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
  batch.keep = Napi::Persistent(data.As<Napi::Object>());
  return batch;
}

std::vector<int64_t> ParseLabels(const Napi::Value& value, int64_t n, int64_t num_classes) {
  Napi::Env env = value.Env();
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowType(env, "labels must be an Int32Array");
  }
  auto labels = value.As<Napi::Int32Array>();
  if (static_cast<int64_t>(labels.ElementLength()) != n) {
    ThrowRange(env,
               "labels has " + std::to_string(labels.ElementLength()) + " entries for a batch of " + std::to_string(n));
  }
  std::vector<int64_t> out(n);
  for (int64_t i = 0; i < n; ++i) {
    int32_t y = labels.Data()[i];
    if (y < kUnlabelled || y >= num_classes) {
      ThrowRange(env, "labels[" + std::to_string(i) + "] = " + std::to_string(y) + " is outside [0, " +
                          std::to_string(num_classes) + ") (or -1 for an unlabelled image)");
    }
    out[i] = y;
  }
  return out;
}

at::Tensor ViewInput(const InputBatch& batch) {
  return at::from_blob(batch.data, batch.shape, at::TensorOptions().dtype(batch.is_uint8 ? at::kByte : at::kFloat));
}

}  // namespace vgg2

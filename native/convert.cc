#include "convert.h"

#include <cmath>
#include <cstring>

#include "errors.h"

namespace vgg2 {

Napi::Value ToFloat32Array(Napi::Env env, const at::Tensor& tensor) {
  if (!tensor.defined()) return env.Undefined();
  auto array = Napi::Float32Array::New(env, tensor.numel());
  std::memcpy(array.Data(), tensor.data_ptr<float>(), tensor.numel() * sizeof(float));
  return array;
}

Napi::Array ToStringArray(Napi::Env env, const std::vector<std::string>& items) {
  auto array = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) array.Set(static_cast<uint32_t>(i), items[i]);
  return array;
}

Napi::Object ToObject(Napi::Env env, const Metadata& metadata) {
  auto object = Napi::Object::New(env);
  for (const auto& [key, value] : metadata) object.Set(key, value);
  return object;
}

Metadata ToMetadata(const Napi::Value& value) {
  Metadata metadata;
  if (value.IsUndefined() || value.IsNull()) return metadata;
  if (!value.IsObject()) ThrowType(value.Env(), "metadata must be an object of strings");
  auto object = value.As<Napi::Object>();
  auto keys = object.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    auto key = keys.Get(i).ToString().Utf8Value();
    auto v = object.Get(key);
    if (!v.IsString()) ThrowType(value.Env(), "metadata['" + key + "'] must be a string");
    metadata[key] = v.As<Napi::String>().Utf8Value();
  }
  return metadata;
}

std::string GetString(const Napi::Object& options, const char* key, const std::string& fallback) {
  auto v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) ThrowType(options.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double GetNumber(const Napi::Object& options, const char* key, double fallback) {
  auto v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) ThrowType(options.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowRange(options.Env(), std::string(key) + " must be finite, got " + v.ToString().Utf8Value());
  return d;
}

bool GetBool(const Napi::Object& options, const char* key, bool fallback) {
  auto v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) ThrowType(options.Env(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t GetInt(const Napi::Object& options, const char* key, int64_t fallback, int64_t min, int64_t max) {
  auto v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  double d = GetNumber(options, key, 0);
  if (d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    ThrowRange(options.Env(), std::string(key) + " must be an integer in [" + std::to_string(min) + ", " +
                                  std::to_string(max) + "], got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(d);
}

}  // namespace vgg2

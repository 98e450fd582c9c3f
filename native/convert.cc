#include "convert.h"

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

}  // namespace vgg2

#include "session_options.h"

#include <cmath>
#include <stdexcept>

#include "convert.h"
#include "device.h"
#include "errors.h"

namespace vgg2 {

namespace {
std::array<float, 3> GetTriple(const Napi::Object& o, const char* key, std::array<float, 3> fallback, bool positive) {
  auto v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) ThrowType(o.Env(), std::string(key) + " must be an array of 3 numbers (RGB)");
  auto array = v.As<Napi::Array>();
  std::array<float, 3> out{};
  for (uint32_t i = 0; i < 3; ++i) {
    Napi::Value item = array[i];
    if (!item.IsNumber()) ThrowType(o.Env(), std::string(key) + " must be an array of 3 numbers (RGB)");
    double d = item.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || (positive && d <= 0)) ThrowRange(o.Env(), std::string(key) + " values must be finite" + (positive ? " and > 0" : ""));
    out[i] = static_cast<float>(d);
  }
  return out;
}
}  // namespace

SessionConfig ParseSessionConfig(const Napi::Value& value) {
  Napi::Env env = value.Env();
  SessionConfig c;
  if (value.IsUndefined()) return c;
  if (!value.IsObject()) ThrowType(env, "options must be an object");
  auto o = value.As<Napi::Object>();
  c.model.arch = GetString(o, "arch", "resnet50");
  if (c.model.arch != "resnet50" && c.model.arch != "senet50") {
    ThrowRange(env, "unknown arch '" + c.model.arch + "' (expected 'resnet50' or 'senet50')");
  }
  c.model.num_classes = GetInt(o, "numClasses", 8631, 1, 10000000);
  c.model.embedding_dim = GetInt(o, "embeddingDim", 0, 0, 65536);
  try {
    c.device = ParseDevice(GetString(o, "device", "cpu"));
  } catch (const std::exception& e) {
    ThrowRange(env, e.what());
  }
  c.amp = GetString(o, "amp", "off");
  if (c.amp != "off" && c.amp != "bf16" && c.amp != "fp16") ThrowRange(env, "amp must be 'off', 'bf16' or 'fp16', got '" + c.amp + "'");
  if (c.amp == "fp16" && !c.device.is_cuda()) ThrowRange(env, "amp 'fp16' needs a CUDA device (CPU autocast is bf16 only)");
  c.channels_last = GetBool(o, "channelsLast", false);
  c.mean = GetTriple(o, "mean", c.mean, false);
  c.std = GetTriple(o, "std", c.std, true);
  c.momentum = GetNumber(o, "momentum", c.momentum);
  c.weight_decay = GetNumber(o, "weightDecay", c.weight_decay);
  if (c.momentum < 0 || c.weight_decay < 0) ThrowRange(env, "momentum and weightDecay must be >= 0");
  c.nesterov = GetBool(o, "nesterov", false);
  if (c.nesterov && c.momentum == 0) ThrowRange(env, "nesterov needs momentum > 0");
  c.loss.type = GetString(o, "loss", "softmax");
  if (c.loss.type != "softmax" && c.loss.type != "arcface" && c.loss.type != "cosface") {
    ThrowRange(env, "loss must be 'softmax', 'arcface' or 'cosface', got '" + c.loss.type + "'");
  }
  c.loss.scale = GetNumber(o, "marginScale", 64.0);
  c.loss.margin = GetNumber(o, "margin", c.loss.type == "arcface" ? 0.5 : c.loss.type == "cosface" ? 0.35 : 0.0);
  if (c.loss.scale <= 0 || c.loss.margin < 0) ThrowRange(env, "marginScale must be > 0 and margin >= 0");
  auto weights = o.Get("classWeights");
  if (!weights.IsUndefined()) {
    if (!weights.IsTypedArray() || weights.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      ThrowType(env, "classWeights must be a Float32Array with one weight per class");
    }
    auto array = weights.As<Napi::Float32Array>();
    if (static_cast<int64_t>(array.ElementLength()) != c.model.num_classes) {
      ThrowRange(env, "classWeights has " + std::to_string(array.ElementLength()) + " values for " + std::to_string(c.model.num_classes) + " classes");
    }
    c.loss.class_weights.assign(array.Data(), array.Data() + array.ElementLength());
    for (float w : c.loss.class_weights) {
      if (!std::isfinite(w) || w < 0) ThrowRange(env, "classWeights must be finite and >= 0");
    }
  }
  if (!o.Get("seed").IsUndefined()) c.seed = static_cast<uint64_t>(GetInt(o, "seed", 0, 0, 9007199254740991LL));
  return c;
}

}  // namespace vgg2

#include "session_options.h"

#include <cmath>
#include <stdexcept>

#include "device.h"
#include "errors.h"
#include "option_reader.h"

namespace vgg2 {

namespace {
std::array<float, 3> Triple(const OptionReader& o, const char* key, std::array<float, 3> fallback,
                            const Interval& range) {
  if (!o.Has(key)) return fallback;
  auto value = o.Get(key);
  const std::string what = o.Name(key) + " must be an array of 3 numbers (RGB)";
  if (!value.IsArray()) ThrowType(o.Env(), what);
  auto array = value.As<Napi::Array>();
  if (array.Length() != 3) ThrowRange(o.Env(), what + ", got " + std::to_string(array.Length()));
  std::array<float, 3> out{};
  for (uint32_t i = 0; i < 3; ++i) {
    out[i] = static_cast<float>(ToNumber(array.Get(i), o.Name(key) + "[" + std::to_string(i) + "]", range));
  }
  return out;
}
}  // namespace

SessionConfig ParseSessionConfig(const Napi::Value& value) {
  Napi::Env env = value.Env();
  OptionReader o(value);
  SessionConfig c;
  c.model.arch = o.Choice(
      "arch", {"resnet18", "resnet34", "resnet50", "senet18", "senet34", "senet50", "mobilefacenet"}, "resnet50");
  c.model.num_classes = o.Int("numClasses", 1, 10000000, 8631);
  c.model.embedding_dim = o.Int("embeddingDim", 0, 65536, 0);
  c.model.distill_dim = o.Int("distillDim", 0, 65536, 0);
  // A pruned ResNet's inner widths (at most ResNet-50's 2 x 16); models/resnet_layout.h checks them
  // against the arch.
  c.model.inner_widths = o.IntList("innerWidths", 1, 512, 32);
  c.model.variant = o.Choice("variant", {"torchvision", "caffe"}, "torchvision");
  try {
    c.device = ParseDevice(o.String("device", "cpu"));
  } catch (const std::exception& e) {
    ThrowRange(env, e.what());
  }
  // The one check of amp: Session trusts it.
  c.amp = o.Choice("amp", {"off", "bf16", "fp16"}, "off");
  if (c.amp == "fp16" && !c.device.is_cuda()) {
    ThrowRange(env, "amp 'fp16' needs a CUDA device (CPU autocast is bf16 only)");
  }
  c.channels_last = o.Bool("channelsLast", false);
  c.mean = Triple(o, "mean", c.mean, kAnyNumber);
  c.std = Triple(o, "std", c.std, kPositive);
  // The recipe's optimizer and loss settings have their defaults on the TypeScript side (lib/recipe.ts).
  c.momentum = o.Number("momentum", kNonNegative);
  c.weight_decay = o.Number("weightDecay", kNonNegative);
  c.nesterov = o.Bool("nesterov", false);
  if (c.nesterov && c.momentum == 0) ThrowRange(env, "nesterov needs momentum > 0");
  c.loss.type = o.Choice("loss", {"softmax", "arcface", "cosface"}, "softmax");
  // Required by the margin losses; softmax has none (given, they are only checked and reported).
  const bool margins = c.loss.type != "softmax";
  auto unless_margins = [&](double unused) { return margins ? std::nullopt : std::optional<double>(unused); };
  c.loss.scale = o.Number("marginScale", kPositive, unless_margins(c.loss.scale));
  c.loss.margin = o.Number("margin", kNonNegative, unless_margins(c.loss.margin));
  if (o.Has("classWeights")) {
    auto weights = o.Get("classWeights");
    if (!weights.IsTypedArray() || weights.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      ThrowType(env, "classWeights must be a Float32Array with one weight per class");
    }
    auto array = weights.As<Napi::Float32Array>();
    if (static_cast<int64_t>(array.ElementLength()) != c.model.num_classes) {
      ThrowRange(env, "classWeights has " + std::to_string(array.ElementLength()) + " values for " +
                          std::to_string(c.model.num_classes) + " classes");
    }
    c.loss.class_weights.assign(array.Data(), array.Data() + array.ElementLength());
    for (float w : c.loss.class_weights) {
      if (!std::isfinite(w) || w < 0) ThrowRange(env, "classWeights must be finite and >= 0");
    }
  }
  if (o.Has("inference")) c.inference = o.Choice("inference", {"folded", "dynamic", "static"}, "folded");
  if (!c.inference.empty() && !c.device.is_cpu()) {
    ThrowRange(env, "a " + c.inference + " (inference) model runs on the CPU only: use device 'cpu'");
  }
  if (o.Has("seed")) c.seed = static_cast<uint64_t>(o.Int("seed", 0, 9007199254740991LL));
  return c;
}

}  // namespace vgg2

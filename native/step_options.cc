#include "step_options.h"

#include "errors.h"
#include "option_reader.h"

namespace vgg2 {

namespace {

// A Float32Array of a whole number of rows (one per image), copied: the step runs later, elsewhere.
std::vector<float> Rows(const OptionReader& o, const char* key, int64_t rows, int64_t& per_row) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    ThrowType(o.Env(), o.Name(key) + " must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() == 0 || a.ElementLength() % rows != 0)
    ThrowRange(o.Env(), o.Name(key) + " has " + std::to_string(a.ElementLength()) +
                            " values, not a row for each of the " + std::to_string(rows) + " images");
  per_row = static_cast<int64_t>(a.ElementLength()) / rows;
  return std::vector<float>(a.Data(), a.Data() + a.ElementLength());
}

DistillTargets ParseDistill(const OptionReader& o, int64_t rows) {
  DistillTargets d;
  d.embedding = Rows(o, "embedding", rows, d.dim);
  if (o.Has("logits")) {
    int64_t classes = 0;
    d.logits = Rows(o, "logits", rows, classes);
  }
  d.loss = o.Choice("loss", {"cosine", "mse"}, "cosine");
  d.weight = o.Number("weight", kNonNegative, 1);
  d.logit_weight = o.Number("logitWeight", kNonNegative, d.logits.empty() ? 0 : 1);
  d.temperature = o.Number("temperature", kPositive, 4);
  d.hard_weight = o.Number("hardWeight", kNonNegative, 1);
  return d;
}

}  // namespace

StepOptions ParseStepOptions(const Napi::Value& value, int64_t batch_size) {
  OptionReader o(value);
  StepOptions s;
  s.lr = o.Number("lr", kNonNegative);
  s.apply = o.Bool("apply", true);
  s.loss_divisor = o.Number("lossDivisor", kPositive, 1);
  s.label_smoothing = o.Number("labelSmoothing", Interval{0, 1, false, true}, 0);
  s.backbone_lr_scale = o.Number("backboneLrScale", kNonNegative, 1);
  s.freeze_bn = o.Bool("freezeBatchNorm", false);
  if (o.Has("distill")) s.distill = ParseDistill(OptionReader(o.Get("distill"), o.Name("distill")), batch_size);
  return s;
}

}  // namespace vgg2

#include "step_options.h"

#include "option_reader.h"

namespace vgg2 {

StepOptions ParseStepOptions(const Napi::Value& value) {
  OptionReader o(value);
  StepOptions s;
  s.lr = o.Number("lr", kNonNegative);
  s.apply = o.Bool("apply", true);
  s.loss_divisor = o.Number("lossDivisor", kPositive, 1);
  s.label_smoothing = o.Number("labelSmoothing", Interval{0, 1, false, true}, 0);
  s.backbone_lr_scale = o.Number("backboneLrScale", kNonNegative, 1);
  s.freeze_bn = o.Bool("freezeBatchNorm", false);
  return s;
}

}  // namespace vgg2

// One place in the int8 network where an fp32 activation becomes quint8 (the input, a
// convolution's or residual add's output, the SE gate's product): what calibration observed
// there, the parameters chosen from it, and how they are saved ("<name>": [scale, zero_point]).
#pragma once
#include <string>

#include "quant/qparams.h"
#include "quant/tensor_reader.h"

namespace vgg2::quant {

class ActivationQuant {
 public:
  void Observe(const at::Tensor& x) { observed_.Observe(x); }
  void Choose(ActivationRange::Method method) { params_ = observed_.Choose(method); }
  const QParams& params() const { return params_; }
  at::Tensor Quantize(const at::Tensor& x) const;

  void Save(const std::string& name, TensorList& out) const;
  // Checks the values: a scale that is not finite and positive, or a zero point outside 0..255,
  // is a corrupt file.
  void Load(const std::string& name, TensorReader& in);

 private:
  ActivationRange observed_;
  QParams params_;
};

}  // namespace vgg2::quant

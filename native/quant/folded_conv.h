// A convolution with the BatchNorm after it folded into its weights and bias (and the ReLU after
// that fused), as inference runs it: in fp32 (or bf16 under autocast), or, once quantized, as a
// prepacked int8 convolution from quint8 to quint8 (quantized::conv2d / conv2d_relu).
#pragma once
#include <string>

#include "quant/activation_quant.h"
#include "quant/quantized_ops.h"

namespace vgg2::quant {

struct BatchNormTensors {
  at::Tensor weight, bias, running_mean, running_var;
  double eps = 1e-5;
};

class FoldedConv {
 public:
  FoldedConv() = default;
  // weight: [O, I, k, k] without bias; padding k / 2, as every convolution of these networks.
  FoldedConv(const at::Tensor& weight, const BatchNormTensors& bn, int64_t stride, bool relu);

  // Float in, float out (observing the output when asked), or quint8 in, quint8 out.
  at::Tensor Forward(const at::Tensor& x, bool observe);
  void Quantize(ActivationRange::Method method);
  bool quantized() const { return packed_.isCustomClass(); }
  void ToChannelsLast();

  void Save(const std::string& name, TensorList& out) const;
  void Load(const std::string& name, TensorReader& in, int64_t in_channels, int64_t out_channels, int64_t kernel,
            int64_t stride, bool relu, bool quantized);
  int64_t numel() const { return weight_.numel() + bias_.numel(); }

 private:
  at::Tensor weight_;  // fp32, or qint8 per channel once quantized
  at::Tensor bias_;    // fp32 [O]
  int64_t stride_ = 1, padding_ = 0;
  bool relu_ = false;
  ActivationQuant output_;
  Packed packed_;
};

}  // namespace vgg2::quant

// The SE layer of an inference bottleneck. In the int8 network the feature map stays quint8: it
// is pooled in quint8, only the pooled vector is dequantized for the gate (two Linear layers, int8
// dynamic once quantized, then sigmoid, in fp32), and the map is multiplied by the quantized gate
// (quantized::mul). Dequantizing the map instead cost 5x the whole network's time here.
#pragma once
#include <string>

#include "quant/folded_linear.h"

namespace vgg2::quant {

class InferenceSE {
 public:
  InferenceSE() = default;
  InferenceSE(FoldedLinear fc1, FoldedLinear fc2) : fc1_(std::move(fc1)), fc2_(std::move(fc2)) {}

  at::Tensor Forward(const at::Tensor& x, bool observe);
  void Quantize(bool activations, ActivationRange::Method method);

  void Save(const std::string& name, TensorList& out) const;
  void Load(const std::string& name, TensorReader& in, int64_t channels, int64_t reduced, bool weights_int8,
            bool activations_int8);
  int64_t numel() const { return fc1_.numel() + fc2_.numel(); }

 private:
  FoldedLinear fc1_, fc2_;
  ActivationQuant output_;
  bool quantized_output_ = false;
};

}  // namespace vgg2::quant

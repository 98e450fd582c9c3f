#include "quant/folded_conv.h"

#include <ATen/ATen.h>

#include "quant/int8_weight.h"

namespace vgg2::quant {

FoldedConv::FoldedConv(const at::Tensor& weight, const BatchNormTensors& bn, int64_t stride, bool relu)
    : stride_(stride), padding_(weight.size(2) / 2), relu_(relu) {
  // y = gamma (conv(x) - mean) / sqrt(var + eps) + beta = conv'(x) + b'
  auto factor = bn.weight / (bn.running_var + bn.eps).sqrt();
  weight_ = (weight * factor.view({-1, 1, 1, 1})).contiguous();
  bias_ = (bn.bias - bn.running_mean * factor).contiguous();
}

at::Tensor FoldedConv::Forward(const at::Tensor& x, bool observe) {
  if (quantized()) return Conv(x, packed_, output_.params(), relu_);
  auto y = at::conv2d(x, weight_, bias_, stride_, padding_);
  if (relu_) y.relu_();
  if (observe) output_.Observe(y);
  return y;
}

void FoldedConv::Quantize(ActivationRange::Method method) {
  output_.Choose(method);
  weight_ = QuantizeWeight(weight_);
  packed_ = PrepackConv(weight_, bias_, stride_, padding_);
}

void FoldedConv::ToChannelsLast() {
  if (!quantized()) weight_ = weight_.contiguous(at::MemoryFormat::ChannelsLast);
}

void FoldedConv::Save(const std::string& name, TensorList& out) const {
  if (quantized()) {
    SaveWeight(name, weight_, out);
    output_.Save(name + ".output", out);
  } else {
    out.emplace_back(name + ".weight", weight_.contiguous());
  }
  out.emplace_back(name + ".bias", bias_);
}

void FoldedConv::Load(const std::string& name, TensorReader& in, int64_t in_channels, int64_t out_channels,
                      int64_t kernel, int64_t stride, bool relu, bool quantized) {
  const std::vector<int64_t> sizes{out_channels, in_channels, kernel, kernel};
  stride_ = stride;
  padding_ = kernel / 2;
  relu_ = relu;
  bias_ = in.Take(name + ".bias", at::kFloat, {out_channels});
  if (quantized) {
    weight_ = LoadWeight(name, in, sizes);
    output_.Load(name + ".output", in);
    packed_ = PrepackConv(weight_, bias_, stride_, padding_);
  } else {
    weight_ = in.Take(name + ".weight", at::kFloat, sizes);
  }
}

}  // namespace vgg2::quant

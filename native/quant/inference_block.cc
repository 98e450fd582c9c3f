#include "quant/inference_block.h"

#include <ATen/ATen.h>

namespace vgg2::quant {

InferenceBlock::InferenceBlock(FoldedConv conv1, FoldedConv conv2, std::optional<FoldedConv> conv3,
                               std::optional<FoldedConv> downsample, std::optional<InferenceSE> se)
    : conv1_(std::move(conv1)),
      conv2_(std::move(conv2)),
      conv3_(std::move(conv3)),
      downsample_(std::move(downsample)),
      se_(std::move(se)) {}

at::Tensor InferenceBlock::Forward(const at::Tensor& x, bool observe) {
  auto out = conv2_.Forward(conv1_.Forward(x, observe), observe);
  if (conv3_) out = conv3_->Forward(out, observe);
  if (se_) out = se_->Forward(out, observe);
  auto identity = downsample_ ? downsample_->Forward(x, observe) : x;
  if (quantized_) return Add(out, identity, output_.params(), /*relu=*/true);
  out = (out + identity).relu_();
  if (observe) output_.Observe(out);
  return out;
}

void InferenceBlock::Quantize(bool activations, ActivationRange::Method method) {
  if (se_) se_->Quantize(activations, method);
  if (!activations) return;
  for (auto* conv : {&conv1_, &conv2_}) conv->Quantize(method);
  if (conv3_) conv3_->Quantize(method);
  if (downsample_) downsample_->Quantize(method);
  output_.Choose(method);
  quantized_ = true;
}

void InferenceBlock::ToChannelsLast() {
  for (auto* conv : {&conv1_, &conv2_}) conv->ToChannelsLast();
  if (conv3_) conv3_->ToChannelsLast();
  if (downsample_) downsample_->ToChannelsLast();
}

void InferenceBlock::Save(const std::string& name, TensorList& out) const {
  conv1_.Save(name + ".conv1", out);
  conv2_.Save(name + ".conv2", out);
  if (conv3_) conv3_->Save(name + ".conv3", out);
  if (downsample_) downsample_->Save(name + ".downsample", out);
  if (se_) se_->Save(name + ".se", out);
  if (quantized_) output_.Save(name + ".output", out);
}

void InferenceBlock::Load(const std::string& name, TensorReader& in, const BlockShape& s, bool weights_int8,
                          bool activations_int8) {
  const bool q = activations_int8;
  const int64_t out = s.out();
  const InnerWidths& w = s.widths;
  conv1_.Load(name + ".conv1", in, s.inplanes, w.conv1, s.basic ? 3 : 1, s.stride1(), true, q);
  conv2_.Load(name + ".conv2", in, w.conv1, s.basic ? s.planes : w.conv2, 3, s.stride2(), !s.basic, q);
  if (!s.basic) {
    conv3_.emplace();
    conv3_->Load(name + ".conv3", in, w.conv2, out, 1, 1, false, q);
  }
  if (s.downsample()) {
    downsample_.emplace();
    downsample_->Load(name + ".downsample", in, s.inplanes, out, 1, s.stride, false, q);
  }
  if (s.se) {
    se_.emplace();
    se_->Load(name + ".se", in, out, out / 16, weights_int8, q);
  }
  quantized_ = q;
  if (q) output_.Load(name + ".output", in);
}

int64_t InferenceBlock::numel() const {
  return conv1_.numel() + conv2_.numel() + (conv3_ ? conv3_->numel() : 0) + (downsample_ ? downsample_->numel() : 0) +
         (se_ ? se_->numel() : 0);
}

}  // namespace vgg2::quant

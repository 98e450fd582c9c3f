#include "quant/inference_resnet.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace vgg2::quant {

const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFolded:
      return "folded";
    case Precision::kDynamic:
      return "dynamic";
    case Precision::kStatic:
      return "static";
  }
  return "folded";
}

std::optional<Precision> ParsePrecision(const std::string& name) {
  for (auto p : {Precision::kFolded, Precision::kDynamic, Precision::kStatic}) {
    if (name == PrecisionName(p)) return p;
  }
  return std::nullopt;
}

InferenceResNet::InferenceResNet(const ModelOptions& options, const LossConfig& loss)
    : options_(options), cosine_(loss.type != "softmax"), logit_scale_(loss.scale) {
  const auto layout = FindResNetLayout(options.arch);
  if (!layout) throw std::invalid_argument("no folded inference for arch '" + options.arch + "'");
  layout_ = *layout;
}

std::vector<std::pair<std::string, BlockShape>> InferenceResNet::Blocks() const {
  std::vector<std::pair<std::string, BlockShape>> out;
  const auto widths = BlockInnerWidths(layout_, options_.inner_widths);
  int64_t inplanes = 64;
  for (size_t i = 0; i < layout_.blocks.size(); ++i) {
    const int64_t planes = ResNetLayout::kPlanes[i];
    for (int64_t b = 0; b < layout_.blocks[i]; ++b) {
      const int64_t stride = (b == 0 && i > 0) ? 2 : 1;
      out.emplace_back(
          "layer" + std::to_string(i + 1) + "." + std::to_string(b),
          BlockShape{inplanes, planes, stride, layout_.se, options_.v1(), !layout_.bottleneck, widths[out.size()]});
      inplanes = planes * layout_.expansion();
    }
  }
  return out;
}

std::unique_ptr<InferenceResNet> InferenceResNet::Fold(const ModelOptions& options, const LossConfig& loss,
                                                       const TensorList& state) {
  std::unique_ptr<InferenceResNet> net(new InferenceResNet(options, loss));
  TensorReader in(state);  // BatchNorm's num_batches_tracked stays behind: inference has no use for it
  auto f32 = [&](const std::string& name) { return in.Take(name, at::kFloat, {-1}); };
  auto bn = [&](const std::string& name) {
    return BatchNormTensors{f32(name + ".weight"), f32(name + ".bias"), f32(name + ".running_mean"),
                            f32(name + ".running_var")};
  };
  auto conv = [&](const std::string& conv, const std::string& norm, int64_t stride, bool relu) {
    return FoldedConv(in.Take(conv + ".weight", at::kFloat, {-1, -1, -1, -1}), bn(norm), stride, relu);
  };
  auto linear = [&](const std::string& name, std::optional<BatchNormTensors> norm = {}) {
    return FoldedLinear(in.Take(name + ".weight", at::kFloat, {-1, -1}), f32(name + ".bias"), norm);
  };
  net->conv1_ = conv("conv1", "bn1", 2, true);
  for (const auto& [name, s] : net->Blocks()) {
    std::optional<FoldedConv> downsample;
    if (s.downsample()) downsample = conv(name + ".downsample.0", name + ".downsample.1", s.stride, false);
    std::optional<InferenceSE> se;
    if (s.se) se = InferenceSE(linear(name + ".se.fc.0"), linear(name + ".se.fc.2"));
    // A basic block's second conv is its last: no ReLU before the residual add, and no third.
    std::optional<FoldedConv> conv3;
    if (!s.basic) conv3 = conv(name + ".conv3", name + ".bn3", 1, false);
    net->blocks_.emplace_back(conv(name + ".conv1", name + ".bn1", s.stride1(), true),
                              conv(name + ".conv2", name + ".bn2", s.stride2(), !s.basic), std::move(conv3),
                              std::move(downsample), std::move(se));
  }
  if (options.embedding_dim > 0) net->embedding_ = linear("embedding.0", bn("embedding.1"));
  auto fc_weight = in.Take("fc.weight", at::kFloat, {-1, -1});
  auto fc_bias = f32("fc.bias");
  // A normalised classifier predicts s·cos θ: its rows are unit vectors and it has no bias.
  if (net->cosine_) {
    net->fc_ = FoldedLinear(fc_weight / fc_weight.norm(2, 1, true).clamp_min(1e-12), at::Tensor());
  } else {
    net->fc_ = FoldedLinear(fc_weight, fc_bias);
  }
  return net;
}

std::unique_ptr<InferenceResNet> InferenceResNet::Load(const ModelOptions& options, const LossConfig& loss,
                                                       Precision precision, const TensorList& tensors) {
  std::unique_ptr<InferenceResNet> net(new InferenceResNet(options, loss));
  net->precision_ = precision;
  const bool weights_int8 = precision != Precision::kFolded, activations_int8 = precision == Precision::kStatic;
  if (weights_int8) net->engine_ = SelectEngine();  // packed weights belong to the engine that packs them
  TensorReader in(tensors);
  if (activations_int8) net->input_.Load("input", in);
  net->conv1_.Load("conv1", in, 3, 64, 7, 2, true, activations_int8);
  for (const auto& [name, shape] : net->Blocks()) {
    net->blocks_.emplace_back();
    net->blocks_.back().Load(name, in, shape, weights_int8, activations_int8);
  }
  int64_t head_input = net->layout_.feature_dim();
  if (options.embedding_dim > 0) {
    net->embedding_.emplace();
    net->embedding_->Load("embedding", in, head_input, options.embedding_dim, weights_int8);
    head_input = options.embedding_dim;
  }
  net->fc_.Load("fc", in, head_input, options.num_classes, weights_int8);
  in.CheckAllTaken();
  return net;
}

ModelOutput InferenceResNet::Run(const at::Tensor& input, bool observe) {
  auto x = input;
  if (precision_ == Precision::kStatic) {
    x = input_.Quantize(x);
  } else if (observe) {
    input_.Observe(x);
    ++calibration_batches_;
  }
  // Two-element lists throughout: the quantized max-pool reads a second element of each.
  x = conv1_.Forward(x, observe);
  x = options_.v1() ? at::max_pool2d(x, {3, 3}, {2, 2}, {0, 0}, {1, 1}, /*ceil_mode=*/true)
                    : at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1}, {1, 1});
  for (auto& block : blocks_) x = block.Forward(x, observe);
  ModelOutput out;
  if (x.is_quantized()) {
    // Pooled from the integers, exactly, then scaled: quint8 pooling would round the feature to the
    // map's step, and this LibTorch's dequantize of a whole map is slow (scalar code).
    const double scale = x.q_scale(), zero_point = static_cast<double>(x.q_zero_point());
    out.features = x.int_repr().to(at::kFloat).mean({2, 3}).sub_(zero_point).mul_(scale);
  } else {
    out.features = at::flatten(at::adaptive_avg_pool2d(x, {1, 1}), 1);
  }
  auto head = out.features;
  if (embedding_) head = out.embedding = embedding_->Forward(head);
  if (cosine_) {
    auto unit = head.to(at::kFloat) / head.to(at::kFloat).norm(2, 1, true).clamp_min(1e-12);
    out.logits = fc_.Forward(unit).mul_(logit_scale_);
  } else {
    out.logits = fc_.Forward(head);
  }
  return out;
}

void InferenceResNet::Quantize(Precision precision, ActivationRange::Method method) {
  if (precision_ != Precision::kFolded) throw std::logic_error("this network is already quantized");
  if (precision == Precision::kFolded) return;
  const bool activations = precision == Precision::kStatic;
  if (activations && calibration_batches_ == 0) {
    throw std::runtime_error("static int8 needs calibration: no calibration batch was run");
  }
  engine_ = SelectEngine();
  if (activations) {
    // The input is 8-bit pixels already: its whole range fits quint8 without loss, none to clip.
    input_.Choose(ActivationRange::Method::kMinMax);
    conv1_.Quantize(method);
  }
  for (auto& block : blocks_) block.Quantize(activations, method);
  if (embedding_) embedding_->Quantize();
  fc_.Quantize();
  precision_ = precision;
}

void InferenceResNet::ToChannelsLast() {
  conv1_.ToChannelsLast();
  for (auto& block : blocks_) block.ToChannelsLast();
}

TensorList InferenceResNet::State() const {
  TensorList out;
  if (precision_ == Precision::kStatic) input_.Save("input", out);
  conv1_.Save("conv1", out);
  auto blocks = Blocks();
  for (size_t i = 0; i < blocks_.size(); ++i) blocks_[i].Save(blocks[i].first, out);
  if (embedding_) embedding_->Save("embedding", out);
  fc_.Save("fc", out);
  for (auto& item : out) item.second = item.second.contiguous();
  return out;
}

int64_t InferenceResNet::ParameterCount() const {
  int64_t n = conv1_.numel() + fc_.numel() + (embedding_ ? embedding_->numel() : 0);
  for (const auto& block : blocks_) n += block.numel();
  return n;
}

}  // namespace vgg2::quant

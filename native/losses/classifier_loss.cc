#include "losses/classifier_loss.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/normalization.h>

#include <cmath>
#include <stdexcept>

namespace vgg2 {

ClassifierLoss::ClassifierLoss(const LossConfig& config, int64_t num_classes, c10::Device device) : config_(config) {
  if (config.type != "softmax" && config.type != "arcface" && config.type != "cosface") {
    throw std::invalid_argument("loss must be 'softmax', 'arcface' or 'cosface', got '" + config.type + "'");
  }
  if (cosine() && !(config.scale > 0)) throw std::invalid_argument("margin losses need a scale s > 0");
  if (!config.class_weights.empty()) {
    if (static_cast<int64_t>(config.class_weights.size()) != num_classes) {
      throw std::invalid_argument("classWeights has " + std::to_string(config.class_weights.size()) + " values for " +
                                  std::to_string(num_classes) + " classes");
    }
    class_weights_ = at::tensor(config.class_weights, at::TensorOptions().dtype(at::kFloat)).to(device);
  }
}

at::Tensor ClassifierLoss::Logits(const ModelOutput& out, const at::Tensor& fc_weight) const {
  if (!cosine()) return out.logits.to(at::kFloat);
  namespace F = torch::nn::functional;
  const auto& head_input = out.embedding.defined() ? out.embedding : out.features;
  // fp32: normalising in bf16 would cost the margins their precision.
  auto x = F::normalize(head_input.to(at::kFloat), F::NormalizeFuncOptions().dim(1));
  auto w = F::normalize(fc_weight.to(at::kFloat), F::NormalizeFuncOptions().dim(1));
  return x.matmul(w.t()).mul_(config_.scale);
}

at::Tensor ClassifierLoss::Loss(const at::Tensor& logits, const at::Tensor& labels, double label_smoothing) const {
  at::Tensor z = logits;
  if (cosine()) {
    const double s = config_.scale, m = config_.margin;
    auto cos = logits.gather(1, labels.unsqueeze(1)) / s;
    at::Tensor target;
    if (config_.type == "cosface") {
      target = cos - m;
    } else {
      // cos(θ + m) = cos θ cos m − sin θ sin m while θ + m ≤ π; past that, the usual linear
      // continuation cos θ − m sin m (InsightFace's), so that the target logit keeps decreasing in θ.
      auto sin = (1.0 - cos * cos).clamp_min(0.0).sqrt();
      auto phi = cos * std::cos(m) - sin * std::sin(m);
      target = at::where(cos > std::cos(M_PI - m), phi, cos - std::sin(M_PI - m) * m);
    }
    z = logits.scatter(1, labels.unsqueeze(1), target * s);
  }
  auto options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(label_smoothing);
  if (class_weights_.defined()) options.weight(class_weights_);
  return torch::nn::functional::cross_entropy(z, labels, options);
}

}  // namespace vgg2

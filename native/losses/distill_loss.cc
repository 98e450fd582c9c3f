#include "losses/distill_loss.h"

#include <torch/nn/functional/distance.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/normalization.h>

namespace vgg2 {

namespace F = torch::nn::functional;

namespace {
at::Tensor Targets(const std::vector<float>& values, int64_t rows, const at::Tensor& like) {
  return at::from_blob(const_cast<float*>(values.data()), {rows, static_cast<int64_t>(values.size()) / rows},
                       at::TensorOptions().dtype(at::kFloat))
      .to(like.device());
}
}  // namespace

at::Tensor EmbeddingDistillLoss(const at::Tensor& student, const DistillTargets& t) {
  auto s = F::normalize(student.to(at::kFloat), F::NormalizeFuncOptions().dim(1));
  auto teacher = F::normalize(Targets(t.embedding, student.size(0), s), F::NormalizeFuncOptions().dim(1));
  if (t.loss == "mse") return (s - teacher).pow(2).sum(1).mean();
  return (1 - (s * teacher).sum(1)).mean();
}

at::Tensor LogitDistillLoss(const at::Tensor& logits, const DistillTargets& t) {
  const double T = t.temperature;
  auto z = logits.to(at::kFloat);
  auto teacher = at::softmax(Targets(t.logits, z.size(0), z) / T, 1);
  return F::kl_div(at::log_softmax(z / T, 1), teacher, F::KLDivFuncOptions().reduction(torch::kBatchMean)) * (T * T);
}

}  // namespace vgg2

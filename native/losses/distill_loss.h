// Knowledge distillation's losses (Hinton et al.; feature distillation as in the tutorial): the
// student's embedding, projected by the model's "distill" Linear when the sizes differ, pulled
// toward the teacher's L2-normalised embedding (cosine: 1 - cos; mse: squared distance of the unit
// vectors), and optionally its logits toward the teacher's softened by a temperature (KL, x T^2).
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace vgg2 {

struct DistillTargets {
  std::vector<float> embedding;  // [n, dim], the teacher's (normalised here)
  int64_t dim = 0;
  std::vector<float> logits;    // [n, classes] or empty
  std::string loss = "cosine";  // cosine | mse
  double weight = 1.0;          // of the embedding term
  double logit_weight = 0.0;    // of the KL term
  double temperature = 4.0;
  double hard_weight = 1.0;  // of the usual classification loss
};

// The embedding term for the student's (projected) output [n, dim].
at::Tensor EmbeddingDistillLoss(const at::Tensor& student, const DistillTargets& t);
// The KL term for the student's logits [n, classes].
at::Tensor LogitDistillLoss(const at::Tensor& logits, const DistillTargets& t);

}  // namespace vgg2

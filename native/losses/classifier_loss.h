// The classifier's loss: softmax cross-entropy on the model's linear logits (the paper), or the
// margin losses on a normalised classifier, s·cos θ (ArcFace: target cos(θ + m); CosFace:
// target cos θ − m); with optional per-class weights and label smoothing.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "models/face_net.h"

namespace vgg2 {

struct LossConfig {
  std::string type = "softmax";      // softmax | arcface | cosface
  double scale = 1.0;                // s, margin losses only (createEngine requires it for them)
  double margin = 0.0;               // m: radians (ArcFace) or cosine units (CosFace)
  std::vector<float> class_weights;  // empty: unweighted
};

class ClassifierLoss {
 public:
  ClassifierLoss(const LossConfig& config, int64_t num_classes, c10::Device device);

  // Normalised classifier (margin losses): logits are s·cos θ, for training and prediction alike.
  bool cosine() const { return config_.type != "softmax"; }
  // Prediction logits: the model's linear logits, or s·cos θ between head input and class weights.
  at::Tensor Logits(const ModelOutput& out, const at::Tensor& fc_weight) const;
  // fp32 training loss on Logits(): the margin on the target class, then cross-entropy.
  at::Tensor Loss(const at::Tensor& logits, const at::Tensor& labels, double label_smoothing) const;

 private:
  LossConfig config_;
  at::Tensor class_weights_;  // [C] on the device, or undefined
};

}  // namespace vgg2

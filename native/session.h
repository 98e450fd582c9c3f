// A model on a device with its optimizer and loss scaler: the work behind every Engine method,
// in plain C++ (no Node types), run on the compute thread (task_thread.h) one call at a time.
#pragma once
#include <torch/optim/sgd.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "batch.h"
#include "dist/grad_sync.h"
#include "dist/sync_batch_norm.h"
#include "grad_scaler.h"
#include "losses/classifier_loss.h"
#include "losses/distill_loss.h"
#include "models/face_net.h"
#include "quant/inference_resnet.h"
#include "weights/named_tensors.h"

namespace vgg2 {

// Checked once, by ParseSessionConfig (session_options.h).
struct SessionConfig {
  ModelOptions model;
  c10::Device device{c10::kCPU};
  bool channels_last = false;
  std::string amp = "off";  // off | bf16 | fp16 (fp16: CUDA only)
  // Input normalisation in 0..255 units: (x - mean) / std per RGB channel.
  std::array<float, 3> mean{127.5f, 127.5f, 127.5f};
  std::array<float, 3> std{128.f, 128.f, 128.f};
  // Always given by createEngine: the recipe's defaults live in lib/recipe.ts.
  double momentum = 0;
  double weight_decay = 0;
  bool nesterov = false;
  LossConfig loss;
  std::optional<uint64_t> seed;
  // "": a trainable model. folded | dynamic | static: an inference-only CPU model
  // (quant/inference_resnet.h) that loads from or is quantized into its own file format.
  std::string inference;
  std::string quantized_engine;  // set by quantize: the int8 engine the weights were packed for
};

// trainStep's options, parsed by ParseStepOptions (step_options.h).
struct StepOptions {
  double lr = 0;              // required
  bool apply = true;          // false: accumulate gradients only (gradient accumulation)
  double loss_divisor = 1.0;  // the number of accumulated micro-batches
  double label_smoothing = 0.0;
  // Fine-tuning: the backbone's lr is lr × this (the head's is lr); 0 freezes the backbone
  // (no gradients computed for it, its BatchNorm statistics kept).
  double backbone_lr_scale = 1.0;
  bool freeze_bn = false;                 // BatchNorm in eval mode (running statistics used, not updated)
  std::optional<DistillTargets> distill;  // a teacher's outputs for this batch (knowledge distillation)
};

struct StepResult {
  double loss = 0;
  int64_t top1 = 0, top5 = 0;
  bool skipped = false;  // fp16: the step was skipped for inf/NaN gradients
  double loss_scale = 1.0;
  // Data-parallel: how long the step waited for gradient all-reduces after backward (what
  // overlapping them with backward did not hide).
  double comm_wait_ms = 0;
  double distill_loss = -1;  // the embedding term when distilling, else -1
};

struct ForwardResult {
  at::Tensor logits, features, embedding;  // fp32, contiguous, CPU
};

struct LoadReport {
  std::vector<std::string> missing, unexpected, mismatched;
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string Describe() const;
};

class Session {
 public:
  // An inference config's network comes from `inference` (quantize) or, left null, from load().
  explicit Session(const SessionConfig& config, std::unique_ptr<quant::InferenceResNet> inference = nullptr);

  ForwardResult Forward(const InputBatch& batch);
  StepResult TrainStep(const InputBatch& batch, const std::vector<int64_t>& labels, const StepOptions& options);
  TensorList StateDict();
  // strict: any missing / unexpected / mismatched name throws, and nothing is changed. Names
  // under kOptimizerPrefix (a checkpoint's optimizer state) are not model state and are ignored.
  LoadReport LoadStateDict(const TensorList& tensors, bool strict);
  // SGD momentum buffers as kOptimizerPrefix + parameter name (parameters without one yet are absent).
  TensorList OptimizerState();
  // Replaces the momentum buffers with those in `tensors` (other names ignored); shapes must match.
  void LoadOptimizerState(const TensorList& tensors);

  // This (trainable) model's weights folded for inference, fp32 on the CPU: what quantize starts from.
  std::unique_ptr<quant::InferenceResNet> FoldForInference();
  // uint8 NHWC or float NCHW as JS gave it -> the normalised float input on the model's device.
  at::Tensor ToModelInput(const InputBatch& batch) const;
  bool inference_only() const { return !config_.inference.empty(); }
  // Data-parallel training from now on: rank 0's weights and buffers are broadcast to every rank,
  // then each applied step averages the gradients over the ranks (dist/grad_sync.h); with
  // sync_batch_norm, BatchNorm's training statistics are the whole global batch's.
  void JoinGroup(std::shared_ptr<dist::ProcessGroup> group, bool sync_batch_norm);

  static constexpr const char* kOptimizerPrefix = "optimizer.momentum_buffer.";

  const SessionConfig& config() const { return config_; }
  int64_t ParameterCount() const { return parameter_count_; }

 private:
  StepResult TrainStepLocked(const InputBatch& batch, const std::vector<int64_t>& labels, const StepOptions& options);
  std::optional<at::ScalarType> AutocastType() const;
  void InitInput();
  void FreeGradients();
  std::vector<at::Tensor> Buffers();
  void SetTrainMode(const StepOptions& options);
  at::Tensor AddDistillation(const ModelOutput& out, const at::Tensor& logits, const at::Tensor& loss,
                             const DistillTargets& d, at::Tensor& term_out);
  bool IsHead(const std::string& name) const;
  at::Tensor FcWeight();

  std::mutex mutex_;  // one call at a time on a model
  SessionConfig config_;
  torch::nn::Linear distill_{nullptr};                 // the student's projection onto the teacher's embedding
  FaceNet model_;                                      // trainable models
  std::unique_ptr<quant::InferenceResNet> inference_;  // inference-only models
  std::unique_ptr<torch::optim::SGD> optimizer_;
  std::unique_ptr<GradScaler> scaler_;
  std::unique_ptr<ClassifierLoss> loss_;
  std::unique_ptr<dist::GradSync> sync_;  // data-parallel training only
  bool sync_batch_norm_ = false;
  bool backbone_frozen_ = false;
  at::Tensor mean_, inv_std_;  // [1, 3, 1, 1] on the device
  int64_t parameter_count_ = 0;
};

}  // namespace vgg2

// The ResNets (18/34/50, SE or not) folded for inference: BatchNorm folded into the convolutions, ReLU
// fused, no optimizer and no gradients. Three precisions, one forward:
// - folded: fp32 (bf16 under autocast), channels_last when asked;
// - dynamic: the Linear layers int8 (quantized::linear_dynamic), as quantize_dynamic does;
// - static: after calibration, int8 from the quantized input to the last block (prepacked
//   quantized::conv2d(_relu), quantized::add_relu), dequantized before pooling; the head dynamic.
// Built from a trained network's state (Fold) or from the file it saves (Load).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "losses/classifier_loss.h"
#include "models/face_net.h"
#include "models/resnet_layout.h"
#include "quant/folded_linear.h"
#include "quant/inference_block.h"

namespace vgg2::quant {

enum class Precision { kFolded, kDynamic, kStatic };
const char* PrecisionName(Precision precision);  // folded | dynamic | static
std::optional<Precision> ParsePrecision(const std::string& name);

class InferenceResNet {
 public:
  // state: the names and tensors of a trained ResNet (session.h's StateDict), on the CPU.
  static std::unique_ptr<InferenceResNet> Fold(const ModelOptions& options, const LossConfig& loss,
                                               const TensorList& state);
  // tensors: what State() saved at this precision; every one checked by name, dtype and shape.
  static std::unique_ptr<InferenceResNet> Load(const ModelOptions& options, const LossConfig& loss, Precision precision,
                                               const TensorList& tensors);

  ModelOutput Forward(const at::Tensor& x) { return Run(x, false); }
  // A folded network's fp32 forward that records the range of every activation static int8 will
  // quantize.
  void Calibrate(const at::Tensor& x) { Run(x, true); }
  // From folded to dynamic or static (static needs Calibrate first).
  void Quantize(Precision precision, ActivationRange::Method method);
  void ToChannelsLast();

  TensorList State() const;
  Precision precision() const { return precision_; }
  int64_t ParameterCount() const;
  int64_t calibration_batches() const { return calibration_batches_; }
  // The int8 engine the weights are packed for (onednn, ...); empty while folded.
  const std::string& engine() const { return engine_; }

 private:
  InferenceResNet(const ModelOptions& options, const LossConfig& loss);
  ModelOutput Run(const at::Tensor& x, bool observe);
  std::vector<std::pair<std::string, BlockShape>> Blocks() const;

  ModelOptions options_;
  ResNetLayout layout_{};
  bool cosine_ = false;
  double logit_scale_ = 1.0;
  Precision precision_ = Precision::kFolded;
  int64_t calibration_batches_ = 0;
  std::string engine_;
  ActivationQuant input_;
  FoldedConv conv1_;
  std::vector<InferenceBlock> blocks_;
  std::optional<FoldedLinear> embedding_;
  FoldedLinear fc_;
};

}  // namespace vgg2::quant

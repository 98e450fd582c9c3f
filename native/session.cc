#include "session.h"

#include <map>
#include <stdexcept>
#include <torch/nn/functional/loss.h>

#include "autocast_guard.h"
#include "cuda_setup.h"

namespace vgg2 {

namespace {
TensorList NamedStateOf(torch::nn::Module& module) {
  TensorList out;
  for (const auto& item : module.named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

std::string Join(const std::vector<std::string>& names, size_t limit = 8) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < limit; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > limit) text += ", ... (" + std::to_string(names.size()) + " in all)";
  return text;
}
}  // namespace

std::string LoadReport::Describe() const {
  std::string text;
  if (!missing.empty()) text += "missing: " + Join(missing);
  if (!unexpected.empty()) text += std::string(text.empty() ? "" : "; ") + "unexpected: " + Join(unexpected);
  if (!mismatched.empty()) text += std::string(text.empty() ? "" : "; ") + "shape mismatch: " + Join(mismatched);
  return text;
}

Session::Session(const SessionConfig& config) : config_(config) {
  if (config.amp != "off" && config.amp != "bf16" && config.amp != "fp16") {
    throw std::invalid_argument("amp must be 'off', 'bf16' or 'fp16', got '" + config.amp + "'");
  }
  if (config.amp == "fp16" && !config.device.is_cuda()) {
    throw std::invalid_argument("amp 'fp16' needs a CUDA device: CPU autocast is bf16 only");
  }
  if (config.seed) torch::manual_seed(*config.seed);
  if (config.device.is_cuda()) ConfigureCuda();  // cuDNN benchmark, TF32: before the first kernel
  model_ = BuildResNet(config.model);
  model_->to(config.device);
  if (config.channels_last) {
    torch::NoGradGuard no_grad;
    for (auto& p : model_->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  for (const auto& p : model_->parameters()) parameter_count_ += p.numel();
  optimizer_ = std::make_unique<torch::optim::SGD>(
      model_->parameters(), torch::optim::SGDOptions(0.1)
                                .momentum(config.momentum)
                                .weight_decay(config.weight_decay)
                                .nesterov(config.nesterov));
  if (config.amp == "fp16") scaler_ = std::make_unique<GradScaler>(config.device);
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  mean_ = at::tensor(std::vector<float>(config.mean.begin(), config.mean.end()), f32).view({1, 3, 1, 1}).to(config.device);
  inv_std_ = at::tensor(std::vector<float>(config.std.begin(), config.std.end()), f32).reciprocal().view({1, 3, 1, 1}).to(config.device);
}

std::optional<at::ScalarType> Session::AutocastType() const {
  if (config_.amp == "bf16") return at::kBFloat16;
  if (config_.amp == "fp16") return at::kHalf;
  return std::nullopt;
}

// uint8 NHWC -> normalised float NCHW on the device. Permuting NHWC gives channels_last strides
// for free; the plain layout needs one contiguous() copy.
at::Tensor Session::ToModelInput(const InputBatch& batch) const {
  auto view = ViewInput(batch);
  const auto& device = config_.device;
  at::Tensor x;
  if (device.is_cuda()) {
    x = view.pin_memory().to(device, /*non_blocking=*/true);
  } else {
    x = view;
  }
  if (batch.is_uint8) {
    x = x.permute({0, 3, 1, 2}).to(at::kFloat).sub_(mean_).mul_(inv_std_);
  } else if (!device.is_cuda()) {
    x = x.clone();  // never let the model hold on to JS memory
  }
  return x.contiguous(config_.channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
}

void Session::FreeGradients() {
  // LibTorch 1.13's zero_grad() fills zeros; undefined gradients are cheaper and PyTorch's default.
  for (auto& p : model_->parameters()) p.mutable_grad() = at::Tensor();
}

ForwardResult Session::Forward(const InputBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  c10::InferenceMode inference;
  model_->eval();
  auto x = ToModelInput(batch);
  ResNetOutput out;
  {
    AutocastGuard amp(config_.device.type(), AutocastType());
    out = model_->forward(x);
  }
  auto host = [](const at::Tensor& t) { return t.defined() ? t.to(at::kCPU, at::kFloat).contiguous() : t; };
  return {host(out.logits), host(out.features), host(out.embedding)};
}

StepResult Session::TrainStep(const InputBatch& batch, const std::vector<int64_t>& labels,
                              const StepOptions& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    return TrainStepLocked(batch, labels, options);
  } catch (...) {
    FreeGradients();  // a failed step leaves no half-accumulated gradients behind
    throw;
  }
}

StepResult Session::TrainStepLocked(const InputBatch& batch, const std::vector<int64_t>& labels,
                                    const StepOptions& options) {
  model_->train();
  auto x = ToModelInput(batch);
  auto y = at::tensor(labels, at::TensorOptions().dtype(at::kLong)).to(config_.device);
  at::Tensor logits;
  {
    AutocastGuard amp(config_.device.type(), AutocastType());
    logits = model_->forward(x).logits;
  }
  // The loss in fp32 outside autocast, as torch.autocast's recipe does.
  logits = logits.to(at::kFloat);
  auto loss = torch::nn::functional::cross_entropy(
      logits, y, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options.label_smoothing));
  StepResult result;
  {
    at::NoGradGuard no_grad;
    const int64_t k = std::min<int64_t>(5, logits.size(1));
    auto hits = std::get<1>(logits.topk(k, 1)).eq(y.unsqueeze(1));
    result.top1 = hits.select(1, 0).sum().item<int64_t>();
    result.top5 = hits.any(1).sum().item<int64_t>();
  }
  auto objective = options.loss_divisor != 1.0 ? loss / options.loss_divisor : loss;
  (scaler_ ? scaler_->Scale(objective) : objective).backward();
  result.loss = loss.item<double>();
  if (options.apply) {
    for (auto& group : optimizer_->param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(options.lr);
    }
    if (scaler_) {
      result.skipped = !scaler_->Unscale(model_->parameters());
      if (!result.skipped) optimizer_->step();
      scaler_->Update();
      result.loss_scale = scaler_->scale();
    } else {
      optimizer_->step();
    }
    FreeGradients();
  }
  return result;
}

TensorList Session::StateDict() {
  std::lock_guard<std::mutex> lock(mutex_);
  TensorList out;
  for (auto& [name, tensor] : NamedStateOf(*model_)) {
    out.emplace_back(name, tensor.detach().to(at::kCPU).contiguous().clone());
  }
  return out;
}

LoadReport Session::LoadStateDict(const TensorList& tensors, bool strict) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, at::Tensor> given(tensors.begin(), tensors.end());
  LoadReport report;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;  // (destination, source)
  for (auto& [name, dst] : NamedStateOf(*model_)) {
    auto it = given.find(name);
    if (it == given.end()) {
      report.missing.push_back(name);
      continue;
    }
    if (it->second.sizes() != dst.sizes()) {
      report.mismatched.push_back(name + " " + c10::str(it->second.sizes()) + " in file vs " + c10::str(dst.sizes()) + " in model");
    } else {
      copies.emplace_back(dst, it->second);
    }
    given.erase(it);
  }
  for (const auto& item : given) report.unexpected.push_back(item.first);
  if (strict && !report.ok()) {
    throw std::runtime_error("weights do not fit " + config_.model.arch + " with " +
                             std::to_string(config_.model.num_classes) + " classes: " + report.Describe());
  }
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  return report;
}

}  // namespace vgg2

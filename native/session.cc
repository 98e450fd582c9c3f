#include "session.h"

#include <torch/nn/functional/loss.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "autocast_guard.h"
#include "compat.h"
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

Session::Session(const SessionConfig& config, std::unique_ptr<quant::InferenceResNet> inference)
    : config_(config), inference_(std::move(inference)) {
  InitInput();
  if (inference_only()) {
    if (!config.device.is_cpu()) {
      throw std::invalid_argument("a " + config.inference + " model runs on the CPU only (device 'cpu')");
    }
    if (inference_) parameter_count_ = inference_->ParameterCount();
    return;
  }
  if (config.seed) torch::manual_seed(*config.seed);
  if (config.device.is_cuda()) ConfigureCuda();  // cuDNN benchmark, TF32: before the first kernel
  model_ = BuildFaceNet(config.model);
  if (config.model.distill_dim > 0) {
    distill_ = model_->register_module(
        "distill",
        torch::nn::Linear(torch::nn::LinearOptions(model_->output_dim(), config.model.distill_dim).bias(false)));
  }
  model_->to(config.device);
  if (config.channels_last) {
    torch::NoGradGuard no_grad;
    for (auto& p : model_->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  for (const auto& p : model_->parameters()) parameter_count_ += p.numel();
  // Two groups, backbone then head, so that fine-tuning can give the backbone its own lr.
  std::vector<at::Tensor> backbone, head;
  for (const auto& item : model_->named_parameters(true))
    (IsHead(item.key()) ? head : backbone).push_back(item.value());
  auto sgd = torch::optim::SGDOptions(0.1)
                 .momentum(config.momentum)
                 .weight_decay(config.weight_decay)
                 .nesterov(config.nesterov);
  optimizer_ = std::make_unique<torch::optim::SGD>(
      std::vector<torch::optim::OptimizerParamGroup>{torch::optim::OptimizerParamGroup(backbone),
                                                     torch::optim::OptimizerParamGroup(head)},
      sgd);
  loss_ = std::make_unique<ClassifierLoss>(config.loss, config.model.num_classes, config.device);
  if (config.amp == "fp16") scaler_ = std::make_unique<GradScaler>(config.device);
}

void Session::InitInput() {
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  mean_ = at::tensor(std::vector<float>(config_.mean.begin(), config_.mean.end()), f32)
              .view({1, 3, 1, 1})
              .to(config_.device);
  inv_std_ = at::tensor(std::vector<float>(config_.std.begin(), config_.std.end()), f32)
                 .reciprocal()
                 .view({1, 3, 1, 1})
                 .to(config_.device);
}

bool Session::IsHead(const std::string& name) const {
  return name.rfind("fc.", 0) == 0 || name.rfind("embedding.", 0) == 0 || name.rfind("distill.", 0) == 0;
}

at::Tensor Session::FcWeight() { return model_->named_parameters(true)["fc.weight"]; }

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
  // The int8 network quantizes the input at once into a tensor of its own: no float copy here.
  const bool int8_input = inference_ && inference_->precision() == quant::Precision::kStatic;
  if (batch.is_uint8) {
    x = x.permute({0, 3, 1, 2}).to(at::kFloat).sub_(mean_).mul_(inv_std_);
  } else if (!device.is_cuda() && !int8_input) {
    x = x.clone();  // never let the model hold on to JS memory
  }
  if (int8_input) return x;
  return x.contiguous(config_.channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
}

void Session::FreeGradients() {
  // LibTorch 1.13's zero_grad() fills zeros; undefined gradients are cheaper and PyTorch's default.
  for (auto& p : model_->parameters()) p.mutable_grad() = at::Tensor();
}

ForwardResult Session::Forward(const InputBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  c10::InferenceMode inference;
  auto x = ToModelInput(batch);
  ModelOutput out;
  if (inference_only()) {
    if (!inference_) throw std::runtime_error("this " + config_.inference + " model has no weights yet: load its file");
    // int8 kernels take fp32 around them: autocast is for the folded fp32 network only.
    const bool folded = inference_->precision() == quant::Precision::kFolded;
    AutocastGuard amp(config_.device.type(), folded ? AutocastType() : std::nullopt);
    out = inference_->Forward(x);
  } else {
    model_->eval();
    {
      AutocastGuard amp(config_.device.type(), AutocastType());
      out = model_->forward(x);
    }
    out.logits = loss_->Logits(out, FcWeight());
  }
  auto host = [](const at::Tensor& t) { return t.defined() ? t.to(at::kCPU, at::kFloat).contiguous() : t; };
  return {host(out.logits), host(out.features), host(out.embedding)};
}

StepResult Session::TrainStep(const InputBatch& batch, const std::vector<int64_t>& labels, const StepOptions& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (inference_only()) {
    throw std::runtime_error("a " + config_.inference +
                             " model is for inference and cannot train: train the fp32 model, then quantize it again");
  }
  try {
    return TrainStepLocked(batch, labels, options);
  } catch (...) {
    FreeGradients();  // a failed step leaves no half-accumulated gradients behind
    throw;
  }
}

StepResult Session::TrainStepLocked(const InputBatch& batch, const std::vector<int64_t>& labels,
                                    const StepOptions& options) {
  SetTrainMode(options);
  auto x = ToModelInput(batch);
  auto y = at::tensor(labels, at::TensorOptions().dtype(at::kLong)).to(config_.device);
  ModelOutput out;
  {
    AutocastGuard amp(config_.device.type(), AutocastType());
    dist::SyncScope sync_bn(sync_ && sync_batch_norm_ ? &sync_->group() : nullptr);
    out = model_->forward(x);
  }
  // The loss in fp32 outside autocast, as torch.autocast's recipe does.
  auto logits = loss_->Logits(out, FcWeight());
  // Unlabelled rows (distillation transfer images) have no classification loss and no hits.
  const int64_t labelled =
      static_cast<int64_t>(std::count_if(labels.begin(), labels.end(), [](int64_t l) { return l != kUnlabelled; }));
  if (labelled < static_cast<int64_t>(labels.size()) && !options.distill) {
    throw std::invalid_argument("unlabelled images (label -1) train only with a teacher's targets (distill)");
  }
  auto rows = labelled < static_cast<int64_t>(labels.size()) ? y.ne(kUnlabelled).nonzero().squeeze(1) : at::Tensor();
  auto own_logits = rows.defined() ? logits.index_select(0, rows) : logits;
  auto own_y = rows.defined() ? y.index_select(0, rows) : y;
  auto loss = labelled > 0 ? loss_->Loss(own_logits, own_y, options.label_smoothing) : logits.sum() * 0;
  StepResult result;
  at::Tensor distill_term;
  if (options.distill) loss = AddDistillation(out, logits, loss, *options.distill, distill_term);
  at::Tensor top1, top5;
  {
    at::NoGradGuard no_grad;
    const int64_t k = std::min<int64_t>(5, logits.size(1));
    auto hits = std::get<1>(own_logits.topk(k, 1)).eq(own_y.unsqueeze(1));
    top1 = hits.select(1, 0).sum();
    top5 = hits.any(1).sum();
  }
  auto objective = options.loss_divisor != 1.0 ? loss / options.loss_divisor : loss;
  if (sync_) sync_->Arm(options.apply);  // the non-final micro-batches of a step only accumulate
  (scaler_ ? scaler_->Scale(objective) : objective).backward();
  if (options.apply) {
    if (sync_) result.comm_wait_ms = sync_->Finish();
    auto& groups = optimizer_->param_groups();
    static_cast<torch::optim::SGDOptions&>(groups[0].options()).lr(options.lr * options.backbone_lr_scale);
    static_cast<torch::optim::SGDOptions&>(groups[1].options()).lr(options.lr);
    if (scaler_) {
      result.skipped = !scaler_->Unscale(model_->parameters());
      if (!result.skipped) optimizer_->step();
      scaler_->Update();
      result.loss_scale = scaler_->scale();
    } else {
      optimizer_->step();
    }
    FreeGradients();
    // BatchNorm's running statistics: rank 0's everywhere, as DDP's broadcast_buffers (SyncBatchNorm
    // computes the same ones on every rank already).
    if (sync_ && !sync_batch_norm_) sync_->BroadcastFromRoot(Buffers());
  }
  // One device-to-host copy for the step's numbers, at its end: on CUDA a read mid-step would
  // stall the queue of kernels.
  std::vector<at::Tensor> numbers{loss.detach().to(at::kDouble), top1.to(at::kDouble), top5.to(at::kDouble)};
  if (distill_term.defined()) numbers.push_back(distill_term.to(at::kDouble));
  auto stats = at::stack(numbers).cpu();
  auto* v = stats.data_ptr<double>();
  result.loss = v[0];
  result.top1 = static_cast<int64_t>(v[1]);
  result.top5 = static_cast<int64_t>(v[2]);
  if (distill_term.defined()) result.distill_loss = v[3];
  return result;
}

// hard_weight x the classification loss + weight x the embedding term (+ logit_weight x the KL term).
at::Tensor Session::AddDistillation(const ModelOutput& out, const at::Tensor& logits, const at::Tensor& loss,
                                    const DistillTargets& d, at::Tensor& term_out) {
  auto student = (out.embedding.defined() ? out.embedding : out.features).to(at::kFloat);
  if (distill_) student = distill_(student);
  if (student.size(1) != d.dim) {
    throw std::invalid_argument("distill: the teacher's embedding has " + std::to_string(d.dim) +
                                " values per image, the student's " + std::to_string(student.size(1)) +
                                ": make the student with distillDim " + std::to_string(d.dim));
  }
  auto term = EmbeddingDistillLoss(student, d);
  auto total = loss * d.hard_weight + term * d.weight;
  if (!d.logits.empty()) {
    if (static_cast<int64_t>(d.logits.size()) != logits.numel()) {
      throw std::invalid_argument("distill: the teacher's logits have " + std::to_string(d.logits.size()) +
                                  " values, the student's " + std::to_string(logits.numel()) +
                                  " (the same classes are needed)");
    }
    total = total + LogitDistillLoss(logits, d) * d.logit_weight;
  }
  term_out = term.detach();
  return total;
}

// Train mode, except BatchNorm where frozen; a frozen backbone also stops needing gradients.
void Session::SetTrainMode(const StepOptions& options) {
  const bool freeze_backbone = options.backbone_lr_scale == 0;
  if (freeze_backbone != backbone_frozen_) {
    for (auto& item : model_->named_parameters(true)) {
      if (!IsHead(item.key())) item.value().set_requires_grad(!freeze_backbone);
    }
    backbone_frozen_ = freeze_backbone;
  }
  model_->train();
  if (!options.freeze_bn && !freeze_backbone) return;
  for (auto& item : model_->named_modules("", /*include_self=*/false)) {
    const bool bn = item.value()->as<torch::nn::BatchNorm2d>() || item.value()->as<torch::nn::BatchNorm1d>();
    if (bn && (options.freeze_bn || !IsHead(item.key() + "."))) item.value()->eval();
  }
}

TensorList Session::StateDict() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (inference_only()) {
    if (!inference_) throw std::runtime_error("this " + config_.inference + " model has no weights yet: load its file");
    return inference_->State();
  }
  TensorList out;
  for (auto& [name, tensor] : NamedStateOf(*model_)) {
    out.emplace_back(name, tensor.detach().to(at::kCPU).contiguous().clone());
  }
  return out;
}

std::vector<at::Tensor> Session::Buffers() {
  std::vector<at::Tensor> out;
  for (const auto& b : model_->buffers(true)) out.push_back(b);
  return out;
}

void Session::JoinGroup(std::shared_ptr<dist::ProcessGroup> group, bool sync_batch_norm) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (inference_only()) throw std::runtime_error("a " + config_.inference + " model cannot train, on one rank or many");
  if (!config_.device.is_cpu() && group->options().backend == "gloo") {
    throw std::invalid_argument("the gloo backend trains on the CPU; a " + config_.device.str() + " model needs nccl");
  }
  auto sync = std::make_unique<dist::GradSync>(group, model_->parameters(true));
  auto state = model_->parameters(true);
  for (auto& b : Buffers()) state.push_back(b);
  sync->BroadcastFromRoot(state);
  sync_ = std::move(sync);
  sync_batch_norm_ = sync_batch_norm;
}

std::unique_ptr<quant::InferenceResNet> Session::FoldForInference() {
  if (inference_only())
    throw std::runtime_error("this model is already " + config_.inference + ": quantize the fp32 model");
  auto state = StateDict();
  // The distillation projection only trains the student: inference has no use for it.
  state.erase(
      std::remove_if(state.begin(), state.end(), [](const auto& t) { return t.first.rfind("distill.", 0) == 0; }),
      state.end());
  return quant::InferenceResNet::Fold(config_.model, config_.loss, state);
}

LoadReport Session::LoadStateDict(const TensorList& tensors, bool strict) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Always strict: an inference network is rebuilt from its file, and every tensor is checked.
  if (inference_only()) {
    try {
      inference_ =
          quant::InferenceResNet::Load(config_.model, config_.loss, *quant::ParsePrecision(config_.inference), tensors);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("not a " + config_.inference + " " + config_.model.arch + " with " +
                               std::to_string(config_.model.num_classes) + " classes: " + e.what());
    }
    parameter_count_ = inference_->ParameterCount();
    return {};
  }
  std::map<std::string, at::Tensor> given;
  for (const auto& [name, tensor] : tensors) {
    if (name.rfind(kOptimizerPrefix, 0) != 0) given.emplace(name, tensor);
  }
  LoadReport report;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;  // (destination, source)
  for (auto& [name, dst] : NamedStateOf(*model_)) {
    auto it = given.find(name);
    if (it == given.end()) {
      report.missing.push_back(name);
      continue;
    }
    if (it->second.sizes() != dst.sizes()) {
      report.mismatched.push_back(name + " " + c10::str(it->second.sizes()) + " in file vs " + c10::str(dst.sizes()) +
                                  " in model");
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

TensorList Session::OptimizerState() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (inference_only()) return {};
  auto& state = optimizer_->state();
  using StateMap = std::remove_reference_t<decltype(state)>;
  TensorList out;
  for (const auto& item : model_->named_parameters(true)) {
    auto it = state.find(compat::OptimizerStateKey<StateMap>(item.value()));
    if (it == state.end()) continue;
    const auto& buffer = static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer();
    if (buffer.defined())
      out.emplace_back(kOptimizerPrefix + item.key(), buffer.detach().to(at::kCPU).contiguous().clone());
  }
  return out;
}

void Session::LoadOptimizerState(const TensorList& tensors) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (inference_only()) throw std::runtime_error("a " + config_.inference + " model has no optimizer state");
  std::map<std::string, at::Tensor> given;
  const std::string prefix = kOptimizerPrefix;
  for (const auto& [name, tensor] : tensors) {
    if (name.rfind(prefix, 0) == 0) given.emplace(name.substr(prefix.size()), tensor);
  }
  // Check everything before changing anything: a bad file leaves the optimizer as it was.
  auto params = model_->named_parameters(true);
  for (const auto& [name, tensor] : given) {
    auto* p = params.find(name);
    if (!p) throw std::runtime_error("optimizer state for unknown parameter '" + name + "'");
    if (tensor.sizes() != p->sizes()) {
      throw std::runtime_error("optimizer state for '" + name + "' has shape " + c10::str(tensor.sizes()) +
                               ", parameter " + c10::str(p->sizes()));
    }
  }
  auto& state = optimizer_->state();
  using StateMap = std::remove_reference_t<decltype(state)>;
  state.clear();
  for (const auto& item : params) {
    auto it = given.find(item.key());
    if (it == given.end()) continue;
    auto buffer = it->second.to(item.value().device(), item.value().scalar_type())
                      .contiguous(item.value().suggest_memory_format());
    auto param_state = std::make_unique<torch::optim::SGDParamState>();
    param_state->momentum_buffer(buffer);
    state[compat::OptimizerStateKey<StateMap>(item.value())] = std::move(param_state);
  }
}

}  // namespace vgg2

#include "engine.h"

#include "addon_data.h"
#include "caching_cpu_allocator.h"
#include "convert.h"
#include "dist/group_wrap.h"
#include "dist/join_worker.h"
#include "errors.h"
#include "option_reader.h"
#include "quant/quantize_worker.h"
#include "shared_wrap.h"
#include "step_options.h"
#include "workers/checkpoint_load_worker.h"
#include "workers/forward_worker.h"
#include "workers/load_worker.h"
#include "workers/save_worker.h"
#include "workers/step_worker.h"

namespace vgg2 {

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {
                         InstanceMethod<&Engine::Forward>("forward"),
                         InstanceMethod<&Engine::TrainStep>("trainStep"),
                         InstanceMethod<&Engine::Load>("load"),
                         InstanceMethod<&Engine::Save>("save"),
                         InstanceMethod<&Engine::SaveCheckpoint>("saveCheckpoint"),
                         InstanceMethod<&Engine::LoadCheckpoint>("loadCheckpoint"),
                         InstanceMethod<&Engine::Quantize>("quantize"),
                         InstanceMethod<&Engine::JoinProcessGroup>("joinProcessGroup"),
                         InstanceMethod<&Engine::Dispose>("dispose"),
                         InstanceAccessor<&Engine::GetParameterCount>("parameterCount"),
                         InstanceAccessor<&Engine::GetConfig>("config"),
                         InstanceAccessor<&Engine::GetDisposed>("disposed"),
                     });
}

Napi::Value Engine::Wrap(Napi::Env env, std::shared_ptr<Session> session) {
  return WrapShared(env, env.GetInstanceData<AddonData>()->engine_constructor, std::move(session));
}

// Takes the session (not a copy): else the model's memory would outlive dispose() until a GC.
Engine::Engine(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<Engine>(info), session_(TakeShared<Session>(info, "Engine", "use createEngine(options)")) {}

std::shared_ptr<Session> Engine::Live(Napi::Env env) const {
  if (!session_) throw Napi::Error::New(env, "this model was disposed: create or load a new Model to use it again");
  return session_;
}

Napi::Value Engine::Forward(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    auto batch = ParseInput(info[0], info[1]);
    return (new ForwardWorker(info.Env(), session, std::move(batch)))->Start();
  });
}

Napi::Value Engine::TrainStep(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    auto batch = ParseInput(info[0], info[1]);
    auto labels = ParseLabels(info[2], batch.n(), session->config().model.num_classes);
    auto options = ParseStepOptions(info[3], batch.n());
    return (new StepWorker(info.Env(), session, std::move(batch), std::move(labels), options))->Start();
  });
}

Napi::Value Engine::Load(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    if (!info[0].IsString()) ThrowType(info.Env(), "load(path): path must be a string");
    const bool strict = OptionReader(info[1]).Bool("strict", true);
    return (new LoadWorker(info.Env(), session, info[0].As<Napi::String>().Utf8Value(), strict))->Start();
  });
}

Napi::Value Engine::Save(const Napi::CallbackInfo& info) { return QueueSave(info, "save", false); }

Napi::Value Engine::SaveCheckpoint(const Napi::CallbackInfo& info) { return QueueSave(info, "saveCheckpoint", true); }

// save(path, metadata, { format: 'safetensors' | 'pytorch' }); saveCheckpoint(path, metadata).
Napi::Value Engine::QueueSave(const Napi::CallbackInfo& info, const char* method, bool checkpoint) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    if (!info[0].IsString()) ThrowType(info.Env(), std::string(method) + "(path): path must be a string");
    auto metadata = ToMetadata(info[1]);
    auto kind = checkpoint ? SaveKind::kCheckpoint : SaveKind::kWeights;
    if (!checkpoint && OptionReader(info[2]).Choice("format", {"safetensors", "pytorch"}, "safetensors") == "pytorch") {
      kind = SaveKind::kPytorch;
    }
    return (new SaveWorker(info.Env(), session, info[0].As<Napi::String>().Utf8Value(), std::move(metadata), kind))
        ->Start();
  });
}

Napi::Value Engine::LoadCheckpoint(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    if (!info[0].IsString()) ThrowType(info.Env(), "loadCheckpoint(path): path must be a string");
    return (new CheckpointLoadWorker(info.Env(), session, info[0].As<Napi::String>().Utf8Value()))->Start();
  });
}

Napi::Value Engine::Quantize(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    auto options = quant::ParseQuantize(info[0]);
    return (new quant::QuantizeWorker(info.Env(), session, std::move(options)))->Start();
  });
}

Napi::Value Engine::JoinProcessGroup(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto session = Live(info.Env());
    auto group = dist::GroupWrap::From(info[0]);
    const bool sync_batch_norm = OptionReader(info[1]).Bool("syncBatchNorm", false);
    return (new dist::JoinWorker(info.Env(), session, std::move(group), sync_batch_norm))->Start();
  });
}

Napi::Value Engine::Dispose(const Napi::CallbackInfo& info) {
  session_.reset();
  // Freed blocks of this model's activations go back to the system now, not at exit.
  CachingCpuAllocator::Install().ReleaseCached();
  return info.Env().Undefined();
}

Napi::Value Engine::GetParameterCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Live(info.Env())->ParameterCount()));
}

Napi::Value Engine::GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !session_); }

Napi::Value Engine::GetConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& c = Live(env)->config();
  auto out = Napi::Object::New(env);
  out.Set("arch", c.model.arch);
  out.Set("numClasses", static_cast<double>(c.model.num_classes));
  out.Set("embeddingDim", static_cast<double>(c.model.embedding_dim));
  out.Set("distillDim", static_cast<double>(c.model.distill_dim));
  if (!c.model.inner_widths.empty()) {
    auto widths = Napi::Array::New(env, c.model.inner_widths.size());
    for (uint32_t i = 0; i < widths.Length(); ++i) widths.Set(i, static_cast<double>(c.model.inner_widths[i]));
    out.Set("innerWidths", widths);
  }
  out.Set("variant", c.model.variant);
  out.Set("device", c.device.str());
  out.Set("amp", c.amp);
  out.Set("channelsLast", c.channels_last);
  auto mean = Napi::Array::New(env, 3), std = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) {
    mean.Set(i, c.mean[i]);
    std.Set(i, c.std[i]);
  }
  out.Set("mean", mean);
  out.Set("std", std);
  out.Set("momentum", c.momentum);
  out.Set("weightDecay", c.weight_decay);
  out.Set("nesterov", c.nesterov);
  out.Set("loss", c.loss.type);
  out.Set("marginScale", c.loss.scale);
  out.Set("margin", c.loss.margin);
  if (!c.inference.empty()) out.Set("inference", c.inference);
  if (!c.quantized_engine.empty()) out.Set("quantizedEngine", c.quantized_engine);
  return out;
}

}  // namespace vgg2

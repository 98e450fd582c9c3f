#include "quant/quantize_worker.h"

#include "engine.h"
#include "errors.h"
#include "option_reader.h"

namespace vgg2::quant {

QuantizeOptions ParseQuantize(const Napi::Value& value) {
  Napi::Env env = value.Env();
  OptionReader o(value);
  QuantizeOptions q;
  q.precision = *ParsePrecision(o.Choice("mode", {"folded", "dynamic", "static"}));
  if (o.Choice("observer", {"histogram", "minmax"}, "histogram") == "minmax") {
    q.method = ActivationRange::Method::kMinMax;
  }
  if (o.Has("calibration")) {
    auto list = o.Get("calibration");
    if (!list.IsArray()) ThrowType(env, "quantize: calibration must be an array of { data, shape } batches");
    auto array = list.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); ++i) {
      auto item = array.Get(i);
      if (!item.IsObject()) ThrowType(env, "quantize: calibration[" + std::to_string(i) + "] must be { data, shape }");
      auto batch = item.As<Napi::Object>();
      q.calibration.push_back(ParseInput(batch.Get("data"), batch.Get("shape")));
    }
  }
  if (q.precision == Precision::kStatic && q.calibration.empty()) {
    ThrowRange(env, "quantize: static int8 needs calibration batches (real images the model will see)");
  }
  return q;
}

void QuantizeWorker::Run() {
  auto net = source_->FoldForInference();
  {
    c10::InferenceMode inference;
    for (const auto& batch : options_.calibration) net->Calibrate(source_->ToModelInput(batch));
  }
  net->Quantize(options_.precision, options_.method);
  auto config = source_->config();
  if (config.channels_last) net->ToChannelsLast();
  config.inference = PrecisionName(options_.precision);
  config.quantized_engine = net->engine();
  config.device = c10::Device(c10::kCPU);
  result_ = std::make_shared<Session>(config, std::move(net));
}

Napi::Value QuantizeWorker::Result(Napi::Env env) { return Engine::Wrap(env, std::move(result_)); }

}  // namespace vgg2::quant

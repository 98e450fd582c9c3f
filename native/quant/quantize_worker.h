// model.quantize(): folds a trained model's weights, runs the calibration batches through the fp32
// folded network with observers (static), quantizes, and resolves with a new inference-only
// Engine; the source model is untouched. Options are parsed on the JS thread (ParseQuantize).
#pragma once
#include <memory>
#include <vector>

#include "batch.h"
#include "quant/inference_resnet.h"
#include "session.h"
#include "workers/promise_worker.h"

namespace vgg2::quant {

struct QuantizeOptions {
  Precision precision = Precision::kStatic;
  ActivationRange::Method method = ActivationRange::Method::kHistogram;
  std::vector<InputBatch> calibration;
};

// { mode: 'folded'|'dynamic'|'static', observer?: 'histogram'|'minmax', calibration?: [{data, shape}] }
QuantizeOptions ParseQuantize(const Napi::Value& options);

class QuantizeWorker : public PromiseWorker {
 public:
  QuantizeWorker(Napi::Env env, std::shared_ptr<Session> source, QuantizeOptions options)
      : PromiseWorker(env), source_(std::move(source)), options_(std::move(options)) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<Session> source_;
  QuantizeOptions options_;
  std::shared_ptr<Session> result_;
};

}  // namespace vgg2::quant

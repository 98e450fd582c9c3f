// Reads a weights file's metadata and tensor names / shapes without a model, so that a model can
// be created to fit it (arch, classes, embedding size).
#pragma once
#include <string>

#include "weights/named_tensors.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class InspectWorker : public PromiseWorker {
 public:
  InspectWorker(Napi::Env env, std::string path) : PromiseWorker(env), path_(std::move(path)) {}

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::string path_;
  WeightsFile file_;
};

}  // namespace vgg2

// decodeBatch(specs, out, size, {threads}): JPEG / raw images → one uint8 NHWC batch. The specs
// are parsed and checked on the JS thread (TypeError / RangeError before any work); the buffers
// they point into, and `out`, stay referenced until the promise settles. Resolves with one entry
// per spec: null when its slot was written, else the reason (the caller falls back to sharp).
#pragma once
#include <memory>

#include "jpeg/batch_decoder.h"
#include "jpeg/thread_pool.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class DecodeBatchWorker : public PromiseWorker {
 public:
  DecodeBatchWorker(Napi::Env env, BatchDecoder decoder, std::shared_ptr<ThreadPool> pool, size_t count,
                    Napi::Array keep);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  BatchDecoder decoder_;
  std::shared_ptr<ThreadPool> pool_;
  size_t count_;
  Napi::Reference<Napi::Array> keep_;
};

// The module function: parses its arguments and starts a DecodeBatchWorker.
Napi::Value DecodeBatch(const Napi::CallbackInfo& info);

}  // namespace vgg2

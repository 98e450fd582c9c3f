// decodeBatch(specs, out, size, {threads}): JPEG / raw images → one uint8 NHWC batch (spec i in
// slot i, size x size), or any windows at any offsets (a spec's `window` and `offset`: `prepare`
// renders whole resized base images so). The specs are parsed and checked on the JS thread
// (TypeError / RangeError before any work); the buffers they point into, and `out`, stay
// referenced until the promise settles. Resolves with one entry per spec: null when it was
// written, else the reason (the caller falls back to sharp).
#pragma once
#include <memory>
#include <vector>

#include "jpeg/batch_decoder.h"
#include "jpeg/thread_pool.h"
#include "workers/promise_worker.h"

namespace vgg2 {

class DecodeBatchWorker : public PromiseWorker {
 public:
  // slots[i]: the index in the JS specs array of decoder spec i (null specs are left out).
  DecodeBatchWorker(Napi::Env env, BatchDecoder decoder, std::vector<uint32_t> slots, std::shared_ptr<ThreadPool> pool,
                    size_t count, Napi::Array keep);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  bool UsesTorch() const override { return false; }

 private:
  BatchDecoder decoder_;
  std::vector<uint32_t> slots_;
  std::shared_ptr<ThreadPool> pool_;
  size_t count_;
  Napi::Reference<Napi::Array> keep_;
};

// The module function: parses its arguments and starts a DecodeBatchWorker.
Napi::Value DecodeBatch(const Napi::CallbackInfo& info);

}  // namespace vgg2

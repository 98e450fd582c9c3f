// gallerySearch(gallery, queries, {dim, k}): exact top-k cosine search of unit rows as one matrix
// product (queries [Q, D] x gallery^T [D, N]) and a topk, on the compute thread. The gallery is
// fp32 (Float32Array) or bf16 (Uint16Array of bf16 bits: half the memory traffic, and the bf16
// GEMM where the CPU has it; the queries are rounded to bf16, the scores come back fp32). Both arrays are
// used in place (no copy) and stay referenced until the promise settles; the caller (lib/gallery)
// never writes into a gallery array once it is searchable (enrolling builds a new one).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "workers/promise_worker.h"

namespace vgg2 {

class GallerySearchWorker : public PromiseWorker {
 public:
  GallerySearchWorker(Napi::Env env, Napi::TypedArray gallery, Napi::Float32Array queries, int64_t dim, int64_t k);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  Napi::Reference<Napi::TypedArray> gallery_ref_;
  Napi::Reference<Napi::Float32Array> queries_ref_;
  void* gallery_;
  bool bf16_;
  float* queries_;
  int64_t rows_;
  int64_t count_;
  int64_t dim_;
  int64_t k_;
  std::vector<float> scores_;
  std::vector<int32_t> indices_;
};

// The module function: checks its arguments on the JS thread and starts a GallerySearchWorker.
Napi::Value GallerySearch(const Napi::CallbackInfo& info);

}  // namespace vgg2

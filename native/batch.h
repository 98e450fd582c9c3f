// A batch as JS hands it over: uint8 RGB NHWC (a Buffer / Uint8Array) or float32 NCHW already
// normalised (a Float32Array). Parsed and checked on the JS thread; read on the worker thread.
#pragma once
#include <ATen/core/Tensor.h>
#include <napi.h>

#include <cstdint>
#include <vector>

namespace vgg2 {

struct InputBatch {
  Napi::ObjectReference keep;  // holds the JS memory alive until the call's promise settles
  void* data = nullptr;
  bool is_uint8 = false;
  std::vector<int64_t> shape;  // [n, h, w, 3] for uint8, [n, 3, h, w] for float32
  int64_t n() const { return shape.empty() ? 0 : shape[0]; }
};

// Throws TypeError / RangeError naming what is wrong.
InputBatch ParseInput(const Napi::Value& data, const Napi::Value& shape);

// The label of an image without one: a distillation transfer image (its only target is the teacher's).
constexpr int64_t kUnlabelled = -1;

// Labels: an Int32Array of n class indices in [0, num_classes), or kUnlabelled. Copied: it is small.
std::vector<int64_t> ParseLabels(const Napi::Value& labels, int64_t n, int64_t num_classes);

// A CPU tensor viewing the JS memory (no copy); only valid while `batch.keep` lives.
at::Tensor ViewInput(const InputBatch& batch);

}  // namespace vgg2

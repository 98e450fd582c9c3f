// LibTorch's int8 operators, called through the dispatcher by their schema names: the kernels
// PyTorch's own quantized modules run, named in this one place. Boxed calls: the packed weights
// are TorchScript custom-class objects, which a boxed IValue carries on 1.13 and 2.x alike.
#pragma once
#include <ATen/core/ivalue.h>

#include <string>

#include "quant/qparams.h"

namespace vgg2::quant {

using Packed = c10::IValue;

// Makes the first available engine of onednn, x86, fbgemm, qnnpack the process's quantized
// engine and returns its name; throws when this LibTorch has none. Packed weights belong to the
// engine that packed them, so every net selects before it packs.
std::string SelectEngine();

// qweight: per-channel symmetric qint8 [O, I, k, k]; bias: fp32 [O].
Packed PrepackConv(const at::Tensor& qweight, const at::Tensor& bias, int64_t stride, int64_t padding);
at::Tensor Conv(const at::Tensor& qx, const Packed& weight, QParams out, bool relu);
// quint8 + quint8 -> quint8 with the given output parameters (ReLU fused when asked).
at::Tensor Add(const at::Tensor& a, const at::Tensor& b, QParams out, bool relu);
// quint8 * quint8 (broadcasting, e.g. [n, c, h, w] * [n, c, 1, 1]) -> quint8.
at::Tensor Mul(const at::Tensor& a, const at::Tensor& b, QParams out);
// qweight: qint8 [O, I] (per tensor or per channel); bias: fp32 [O] or undefined.
Packed PrepackLinear(const at::Tensor& qweight, const at::Tensor& bias);
// fp32 in, fp32 out: the input is quantized on the fly per batch (what quantize_dynamic does).
at::Tensor LinearDynamic(const at::Tensor& x, const Packed& weight);

}  // namespace vgg2::quant

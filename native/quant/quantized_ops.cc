#include "quant/quantized_ops.h"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace vgg2::quant {

namespace {
c10::OperatorHandle Op(const char* name, const char* overload) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
}

c10::IValue CallOne(const c10::OperatorHandle& op, torch::jit::Stack stack) {
  op.callBoxed(&stack);
  return std::move(stack.at(0));
}

std::vector<int64_t> Pair(int64_t v) { return {v, v}; }
}  // namespace

std::string SelectEngine() {
  const auto& supported = at::globalContext().supportedQEngines();
  for (auto engine : {at::QEngine::ONEDNN, at::QEngine::X86, at::QEngine::FBGEMM, at::QEngine::QNNPACK}) {
    if (std::find(supported.begin(), supported.end(), engine) != supported.end()) {
      at::globalContext().setQEngine(engine);
      auto name = c10::toString(engine);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      return name;
    }
  }
  throw std::runtime_error("this LibTorch has no int8 engine (onednn, x86, fbgemm or qnnpack): it cannot quantize");
}

Packed PrepackConv(const at::Tensor& qweight, const at::Tensor& bias, int64_t stride, int64_t padding) {
  static const auto op = Op("quantized::conv2d_prepack", "");
  return CallOne(op, {qweight, bias, Pair(stride), Pair(padding), Pair(1), int64_t{1}});
}

at::Tensor Conv(const at::Tensor& qx, const Packed& weight, QParams out, bool relu) {
  static const auto conv = Op("quantized::conv2d", "new");
  static const auto conv_relu = Op("quantized::conv2d_relu", "new");
  return CallOne(relu ? conv_relu : conv, {qx, weight, out.scale, out.zero_point}).toTensor();
}

at::Tensor Add(const at::Tensor& a, const at::Tensor& b, QParams out, bool relu) {
  static const auto add = Op("quantized::add", "");
  static const auto add_relu = Op("quantized::add_relu", "");
  return CallOne(relu ? add_relu : add, {a, b, out.scale, out.zero_point}).toTensor();
}

at::Tensor Mul(const at::Tensor& a, const at::Tensor& b, QParams out) {
  static const auto mul = Op("quantized::mul", "");
  return CallOne(mul, {a, b, out.scale, out.zero_point}).toTensor();
}

Packed PrepackLinear(const at::Tensor& qweight, const at::Tensor& bias) {
  static const auto op = Op("quantized::linear_prepack", "");
  return CallOne(op, {qweight, bias.defined() ? c10::IValue(bias) : c10::IValue()});
}

at::Tensor LinearDynamic(const at::Tensor& x, const Packed& weight) {
  static const auto op = Op("quantized::linear_dynamic", "");
  return CallOne(op, {x, weight, false}).toTensor();
}

}  // namespace vgg2::quant

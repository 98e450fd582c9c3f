// Small conversions between tensors / native values and JS values (JS thread only).
#pragma once
#include <ATen/core/Tensor.h>
#include <napi.h>

#include <string>
#include <vector>

#include "weights/named_tensors.h"

namespace vgg2 {

// A copy of an fp32 contiguous CPU tensor as a Float32Array (JS owns its memory).
Napi::Value ToFloat32Array(Napi::Env env, const at::Tensor& tensor);
Napi::Array ToStringArray(Napi::Env env, const std::vector<std::string>& items);
Napi::Object ToObject(Napi::Env env, const Metadata& metadata);
// A string -> string object; throws TypeError for any non-string value.
Metadata ToMetadata(const Napi::Value& value);

}  // namespace vgg2

#include "quant/tensor_reader.h"

#include <c10/util/StringUtil.h>

#include <stdexcept>

namespace vgg2::quant {

TensorReader::TensorReader(const TensorList& tensors) {
  for (const auto& [name, tensor] : tensors) tensors_.emplace(name, tensor);
}

at::Tensor TensorReader::Take(const std::string& name, at::ScalarType dtype, const std::vector<int64_t>& sizes) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error("tensor '" + name + "' is missing");
  auto t = it->second;
  tensors_.erase(it);
  if (t.scalar_type() != dtype) {
    throw std::runtime_error("tensor '" + name + "' is " + std::string(c10::toString(t.scalar_type())) + ", expected " +
                             c10::toString(dtype));
  }
  bool fits = t.dim() == static_cast<int64_t>(sizes.size());
  for (size_t i = 0; fits && i < sizes.size(); ++i) fits = sizes[i] < 0 || t.size(i) == sizes[i];
  if (!fits) {
    throw std::runtime_error("tensor '" + name + "' has shape " + c10::str(t.sizes()) + ", expected " +
                             c10::str(at::IntArrayRef(sizes)) + " (-1: any)");
  }
  return t.contiguous();
}

void TensorReader::CheckAllTaken() const {
  if (tensors_.empty()) return;
  std::string names;
  int shown = 0;
  for (const auto& item : tensors_) {
    if (shown++ == 8) break;
    names += (names.empty() ? "" : ", ") + item.first;
  }
  throw std::runtime_error("unexpected tensors: " + names +
                           (tensors_.size() > 8 ? ", ... (" + std::to_string(tensors_.size()) + " in all)" : ""));
}

}  // namespace vgg2::quant

// Reads a folded or int8 network's tensors out of a weights file by name: each one must be there
// with the dtype and shape the network expects, and nothing may be left over. Every complaint
// names the tensor, so a damaged file says where it is damaged.
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "weights/named_tensors.h"

namespace vgg2::quant {

class TensorReader {
 public:
  explicit TensorReader(const TensorList& tensors);

  bool Has(const std::string& name) const { return tensors_.count(name) > 0; }
  // sizes: -1 is any size in that dimension.
  at::Tensor Take(const std::string& name, at::ScalarType dtype, const std::vector<int64_t>& sizes);
  // Throws naming the tensors nobody took (the file is for another model).
  void CheckAllTaken() const;

 private:
  std::map<std::string, at::Tensor> tensors_;
};

}  // namespace vgg2::quant

#pragma once
// Types shared by the weight-file readers and writers.
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vgg2 {

// Ordered name -> tensor pairs (CPU tensors); order is the file's order.
using TensorList = std::vector<std::pair<std::string, at::Tensor>>;
using Metadata = std::map<std::string, std::string>;

struct WeightsFile {
  TensorList tensors;
  Metadata metadata;
};

}  // namespace vgg2

// Reads any weights file we accept, by its magic bytes: safetensors, a PyTorch zip (torch.save of
// a state_dict), or a pickled dict of numpy arrays (VGGFace2-pytorch's .pkl).
#pragma once
#include <string>

#include "weights/named_tensors.h"

namespace vgg2 {

WeightsFile ReadWeightsFile(const std::string& path);

}  // namespace vgg2

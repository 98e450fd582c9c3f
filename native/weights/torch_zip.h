#pragma once
// Reader and writer of state_dicts in torch.save's format (zip, PyTorch >= 1.6).
#include <string>

#include "named_tensors.h"

namespace vgg2 {

// Reads `torch.save(model.state_dict(), path)`: a dict/OrderedDict of str -> tensor.
// Tensors are CPU views sharing the file's storages exactly as torch.load returns
// them (possibly non-contiguous or with a storage offset); order is the dict's.
// Throws std::runtime_error naming the file for anything else: legacy (non-zip)
// or TorchScript archives, non-tensor values, globals outside the allow-list,
// truncated/corrupt archives.
TensorList ReadTorchStateDict(const std::string& path);

// Writes the tensors as a dict of str -> tensor that torch.load reads (LibTorch's own
// pickle_save), atomically. Metadata has no place in the format: it is not written.
void WriteTorchStateDict(const std::string& path, const TensorList& tensors);

}  // namespace vgg2

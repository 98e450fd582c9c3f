// A pickled dict of numpy arrays (name -> ndarray), as VGGFace2-pytorch ships the paper's weights
// (resnet50_ft_weight.pkl, senet50_ft_weight.pkl: Python 2, protocol 2), read with the restricted
// unpickler: the only globals allowed are numpy's array and dtype reconstruction (and
// _codecs.encode, which Python 3 protocol-2 pickles use for bytes). Nothing is executed.
#pragma once
#include <string>

#include "weights/named_tensors.h"

namespace vgg2 {

// Throws std::runtime_error naming the file and what is wrong (not a dict of arrays, an
// unsupported dtype, raw data of the wrong size, a legacy torch.save file, ...).
TensorList ReadNumpyPickle(const std::string& path);

// Whether the bytes start like a pickle (PROTO 2..5): what weights_file.cc dispatches on.
bool LooksLikePickle(const unsigned char* head, size_t n);

}  // namespace vgg2

#include "weights/weights_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>

#include "weights/numpy_pickle.h"
#include "weights/published_layouts.h"
#include "weights/safetensors.h"
#include "weights/torch_zip.h"

namespace vgg2 {

namespace {

WeightsFile ReadAny(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open weights file '" + path + "': " + std::strerror(errno));
  unsigned char head[9] = {0};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  const auto got = in.gcount();
  WeightsFile file;
  SourceFormat format;
  if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
    file.tensors = ReadTorchStateDict(path);
    format = SourceFormat::kTorchZip;
  } else if (got == 9 && head[8] == '{') {
    file = ReadSafetensors(path);
    format = SourceFormat::kSafetensors;
  } else if (LooksLikePickle(head, static_cast<size_t>(got))) {
    file.tensors = ReadNumpyPickle(path);
    format = SourceFormat::kNumpyPickle;
  } else {
    throw std::runtime_error("'" + path +
                             "' is not a weights file: expected safetensors, a PyTorch zip written by "
                             "torch.save(model.state_dict()) or a pickled dict of numpy arrays");
  }
  try {
    ToOurLayout(file, format);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("'" + path + "': " + e.what());
  }
  return file;
}

}  // namespace

WeightsFile ReadWeightsFile(const std::string& path) {
  try {
    return ReadAny(path);
  } catch (const std::bad_alloc&) {  // a bare bad_alloc would not say which file
    throw std::runtime_error("'" + path + "': out of memory while reading this weights file (corrupt sizes?)");
  }
}

}  // namespace vgg2

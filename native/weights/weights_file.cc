#include "weights/weights_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>

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
  if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
    return WeightsFile{ReadTorchStateDict(path), {}};
  }
  if (got == 9 && head[8] == '{') return ReadSafetensors(path);
  throw std::runtime_error("'" + path +
                           "' is not a weights file: expected safetensors or a PyTorch zip written by "
                           "torch.save(model.state_dict())");
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

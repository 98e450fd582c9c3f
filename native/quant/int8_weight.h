// Weights as int8: per-output-channel symmetric scales (zero point 0), which both the onednn and
// fbgemm kernels take. Saved as "<name>.weight" (I8) and "<name>.weight_scale" (F32, one per row).
#pragma once
#include <string>
#include <vector>

#include "quant/tensor_reader.h"

namespace vgg2::quant {

// fp32 [O, ...] -> qint8 per channel (axis 0), scale max|w| / 127.5 per channel as PyTorch's
// per_channel_symmetric observer chooses.
at::Tensor QuantizeWeight(const at::Tensor& weight);
void SaveWeight(const std::string& name, const at::Tensor& qweight, TensorList& out);
// Scales must be finite and positive: anything else is a corrupt file, named.
at::Tensor LoadWeight(const std::string& name, TensorReader& in, const std::vector<int64_t>& sizes);

}  // namespace vgg2::quant

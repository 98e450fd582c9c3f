#pragma once
// safetensors (https://github.com/huggingface/safetensors) reader and writer.
#include <string>

#include "named_tensors.h"

namespace vgg2 {

// Reads and fully validates a safetensors file. Tensors are CPU, contiguous and
// own their memory; order is the header's order. Supported dtypes: F32 F64 F16
// BF16 I64 I32 I16 I8 U8 BOOL. Throws std::runtime_error naming the file.
WeightsFile ReadSafetensors(const std::string& path);

// Writes tensors (any device/layout-strided, made contiguous on CPU) and string
// metadata atomically: temp file ".<name>.tmp-<pid>-<n>" in the target directory,
// fsync, rename over path, fsync the directory. On error the temp file is removed
// and std::runtime_error is thrown; the target is then untouched.
void WriteSafetensors(const std::string& path, const TensorList& tensors, const Metadata& metadata);

}  // namespace vgg2

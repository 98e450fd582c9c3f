#include "models/basic_block.h"

#include "dist/sync_batch_norm.h"
#include "models/conv.h"
#include "models/downsample.h"

namespace vgg2 {

BasicBlockImpl::BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, bool with_se, int64_t width) {
  conv1 = register_module("conv1", Conv(inplanes, width, 3, stride));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(width));
  conv2 = register_module("conv2", Conv(width, planes, 3, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  if (stride != 1 || inplanes != planes) {
    downsample = register_module("downsample", Downsample(inplanes, planes, stride));
  }
  if (with_se) se = register_module("se", SELayer(planes, 16));
}

// Each BatchNorm through dist::Normalize (SyncBatchNorm when data-parallel training asks for it).
torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  using dist::Normalize;
  auto out = Normalize(*bn1, conv1(x)).relu_();
  out = Normalize(*bn2, conv2(out));
  if (se) out = se(out);
  out += Shortcut(downsample, x);
  return out.relu_();
}

}  // namespace vgg2

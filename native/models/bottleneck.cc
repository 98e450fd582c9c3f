#include "models/bottleneck.h"

#include "dist/sync_batch_norm.h"
#include "models/conv.h"
#include "models/downsample.h"

namespace vgg2 {

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, bool with_se, bool stride_on_1x1,
                               const InnerWidths& widths) {
  const int64_t out = planes * kExpansion;
  conv1 = register_module("conv1", Conv(inplanes, widths.conv1, 1, stride_on_1x1 ? stride : 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(widths.conv1));
  conv2 = register_module("conv2", Conv(widths.conv1, widths.conv2, 3, stride_on_1x1 ? 1 : stride));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(widths.conv2));
  conv3 = register_module("conv3", Conv(widths.conv2, out, 1, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
  if (stride != 1 || inplanes != out) {
    downsample = register_module("downsample", Downsample(inplanes, out, stride));
  }
  if (with_se) se = register_module("se", SELayer(out, 16));
}

// Each BatchNorm through dist::Normalize: plain BatchNorm, or SyncBatchNorm in data-parallel
// training that asks for it.
torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  using dist::Normalize;
  auto out = Normalize(*bn1, conv1(x)).relu_();
  out = Normalize(*bn2, conv2(out)).relu_();
  out = Normalize(*bn3, conv3(out));
  if (se) out = se(out);
  out += Shortcut(downsample, x);
  return out.relu_();
}

}  // namespace vgg2

#include "models/face_net.h"

#include <stdexcept>

#include "models/mobilefacenet.h"
#include "models/resnet.h"

namespace vgg2 {

FaceNet BuildFaceNet(const ModelOptions& options) {
  const auto layout = FindResNetLayout(options.arch);
  if (!layout && options.arch != "mobilefacenet") {
    throw std::invalid_argument("unknown arch '" + options.arch + "' (expected one of " + ArchNames() + ")");
  }
  if (options.variant != "torchvision" && options.variant != "caffe") {
    throw std::invalid_argument("unknown variant '" + options.variant + "' (expected 'torchvision' or 'caffe')");
  }
  if (options.v1() && !(layout && layout->bottleneck)) {
    throw std::invalid_argument("the 'caffe' variant exists for resnet50 and senet50 only, not " + options.arch);
  }
  if (options.num_classes < 1) throw std::invalid_argument("numClasses must be at least 1");
  if (options.embedding_dim < 0) throw std::invalid_argument("embeddingDim must be 0 (none) or positive");
  if (options.distill_dim < 0) throw std::invalid_argument("distillDim must be 0 (none) or positive");
  if (!layout) {
    if (!options.inner_widths.empty())
      throw std::invalid_argument("innerWidths (pruning) exist for the ResNets, not mobilefacenet");
    if (options.embedding_dim == 0) throw std::invalid_argument("mobilefacenet needs an embeddingDim (128 or 512)");
    return std::make_shared<MobileFaceNetImpl>(options);
  }
  return std::make_shared<ResNetImpl>(options, *layout);
}

}  // namespace vgg2

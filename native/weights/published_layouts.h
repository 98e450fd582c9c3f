// The VGGFace2 authors' released models in our (torchvision) names, exactly by construction:
// - Caffe-converted PyTorch state_dicts: conv1_7x7_s2(_bn), conv{S}_{B}_1x1_reduce / _3x3 /
//   _1x1_increase / _1x1_proj (each with _bn), SE as _1x1_down / _1x1_up (1x1 convs with bias),
//   the classifier a 1x1 conv `classifier`, the low-dimensional models' `feat_extract`;
// - VGGFace2-pytorch's .pkl (dict of numpy arrays): torchvision-like names, SE as 1x1 convs
//   conv4 / conv5 with bias.
// Both are ResNet v1 for BGR input minus the mean (91.4953, 103.8827, 131.0912), unscaled: the
// file becomes variant 'caffe', conv1's input channels are reversed so that it takes RGB, and
// the metadata carries the 'vggface2' normalisation (the same mean in RGB order) and 224 px.
#pragma once
#include <string>

#include "weights/named_tensors.h"

namespace vgg2 {

enum class SourceFormat { kSafetensors, kTorchZip, kNumpyPickle };

// Converts `file` in place when its names are one of the published layouts (adding metadata
// `layout`, `variant`, `normalization`, `input_size`); leaves any other file as it is. A name
// that the layout does not know is an error naming it.
void ToOurLayout(WeightsFile& file, SourceFormat format);

}  // namespace vgg2

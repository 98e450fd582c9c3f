// The ResNets of the family as torchvision builds them: blocks per stage, basic (two 3x3 convs,
// ResNet-18/34) or bottleneck (1x1-3x3-1x1, expansion 4, ResNet-50), optionally with SE layers.
// The trainable model and its folded inference copy (quant/) both walk this.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vgg2 {

struct ResNetLayout {
  std::array<int64_t, 4> blocks;
  bool bottleneck;
  bool se;
  static constexpr std::array<int64_t, 4> kPlanes{64, 128, 256, 512};
  int64_t expansion() const { return bottleneck ? 4 : 1; }
  int64_t feature_dim() const { return kPlanes.back() * expansion(); }
};

// The output channels of one block's inner convolutions: a bottleneck's conv1 and conv2; a basic
// block's conv1 (its conv2 is the block's output: conv2 == planes).
struct InnerWidths {
  int64_t conv1, conv2;
};

// Every block's inner widths, in order (layer1.0, layer1.1, ...), from ModelOptions::inner_widths
// (two per bottleneck, one per basic block; empty: full width). Throws std::invalid_argument for the
// wrong count or a width outside 1..planes.
std::vector<InnerWidths> BlockInnerWidths(const ResNetLayout& layout, const std::vector<int64_t>& widths);

// nullopt for a name that is not one of the ResNets.
std::optional<ResNetLayout> FindResNetLayout(const std::string& arch);

// The arch names, for messages ("resnet18, resnet34, ...").
const char* ArchNames();

}  // namespace vgg2

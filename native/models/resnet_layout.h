// The ResNets of the family as torchvision builds them: blocks per stage, basic (two 3x3 convs,
// ResNet-18/34) or bottleneck (1x1-3x3-1x1, expansion 4, ResNet-50), optionally with SE layers.
// The trainable model and its folded inference copy (quant/) both walk this.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace vgg2 {

struct ResNetLayout {
  std::array<int64_t, 4> blocks;
  bool bottleneck;
  bool se;
  static constexpr std::array<int64_t, 4> kPlanes{64, 128, 256, 512};
  int64_t expansion() const { return bottleneck ? 4 : 1; }
  int64_t feature_dim() const { return kPlanes.back() * expansion(); }
};

// nullopt for a name that is not one of the ResNets.
std::optional<ResNetLayout> FindResNetLayout(const std::string& arch);

// The arch names, for messages ("resnet18, resnet34, ...").
const char* ArchNames();

}  // namespace vgg2

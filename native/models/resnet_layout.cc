#include "models/resnet_layout.h"

#include <stdexcept>

namespace vgg2 {

std::optional<ResNetLayout> FindResNetLayout(const std::string& arch) {
  const bool se = arch.rfind("senet", 0) == 0;
  const std::string depth = arch.substr(se ? 5 : arch.rfind("resnet", 0) == 0 ? 6 : arch.size());
  if (depth == "18") return ResNetLayout{{2, 2, 2, 2}, false, se};
  if (depth == "34") return ResNetLayout{{3, 4, 6, 3}, false, se};
  if (depth == "50") return ResNetLayout{{3, 4, 6, 3}, true, se};
  return std::nullopt;
}

std::vector<InnerWidths> BlockInnerWidths(const ResNetLayout& layout, const std::vector<int64_t>& widths) {
  const size_t per_block = layout.bottleneck ? 2 : 1;
  size_t blocks = 0;
  for (int64_t n : layout.blocks) blocks += static_cast<size_t>(n);
  if (!widths.empty() && widths.size() != blocks * per_block) {
    throw std::invalid_argument("innerWidths has " + std::to_string(widths.size()) + " widths; this network needs " +
                                std::to_string(blocks * per_block) + " (" + std::to_string(per_block) +
                                " for each of its " + std::to_string(blocks) + " blocks)");
  }
  std::vector<InnerWidths> out;
  size_t k = 0;
  for (size_t stage = 0; stage < layout.blocks.size(); ++stage) {
    const int64_t planes = ResNetLayout::kPlanes[stage];
    for (int64_t b = 0; b < layout.blocks[stage]; ++b) {
      InnerWidths w{planes, planes};
      if (!widths.empty()) {
        for (size_t j = 0; j < per_block; ++j, ++k) {
          if (widths[k] < 1 || widths[k] > planes) {
            throw std::invalid_argument("innerWidths[" + std::to_string(k) + "] is " + std::to_string(widths[k]) +
                                        ": layer" + std::to_string(stage + 1) + "." + std::to_string(b) +
                                        "'s inner widths must be from 1 to " + std::to_string(planes));
          }
        }
        w.conv1 = widths[k - per_block];
        if (layout.bottleneck) w.conv2 = widths[k - 1];
      }
      out.push_back(w);
    }
  }
  return out;
}

const char* ArchNames() { return "resnet18, resnet34, resnet50, senet18, senet34, senet50, mobilefacenet"; }

}  // namespace vgg2

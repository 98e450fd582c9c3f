#include "models/resnet_layout.h"

namespace vgg2 {

std::optional<ResNetLayout> FindResNetLayout(const std::string& arch) {
  const bool se = arch.rfind("senet", 0) == 0;
  const std::string depth = arch.substr(se ? 5 : arch.rfind("resnet", 0) == 0 ? 6 : arch.size());
  if (depth == "18") return ResNetLayout{{2, 2, 2, 2}, false, se};
  if (depth == "34") return ResNetLayout{{3, 4, 6, 3}, false, se};
  if (depth == "50") return ResNetLayout{{3, 4, 6, 3}, true, se};
  return std::nullopt;
}

const char* ArchNames() { return "resnet18, resnet34, resnet50, senet18, senet34, senet50, mobilefacenet"; }

}  // namespace vgg2

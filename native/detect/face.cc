#include "detect/face.h"

namespace vgg2 {

std::array<float, 10> FivePoints(const std::vector<float>& p) {
  std::array<float, 10> out{};
  auto mean = [&](int from, int to, float* xy) {
    float sx = 0, sy = 0;
    for (int i = from; i <= to; ++i) sx += p[2 * i], sy += p[2 * i + 1];
    xy[0] = sx / (to - from + 1), xy[1] = sy / (to - from + 1);
  };
  mean(36, 41, &out[0]);
  mean(42, 47, &out[2]);
  for (auto [slot, point] : {std::pair{2, 30}, std::pair{3, 48}, std::pair{4, 54}}) {
    out[2 * slot] = p[2 * point];
    out[2 * slot + 1] = p[2 * point + 1];
  }
  return out;
}

}  // namespace vgg2

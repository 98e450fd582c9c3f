#include "jpeg/similarity_warp.h"

#include <cmath>

#include "jpeg/axis_filter.h"

namespace vgg2 {

namespace {

RgbImage Shrink(const RgbImage& src, int width, int height, AlignScratch& s) {
  using K = AxisFilter::Kernel;
  const AxisFilter fx(width, 0, false, 0, src.width, width, 0, src.width, K::kLanczos3);
  const AxisFilter fy(height, 0, false, 0, src.height, height, 0, src.height, K::kLanczos3);
  s.shrunk.resize(static_cast<size_t>(width) * height * 3);
  RenderWindow(src, fx, fy, Tone{}, s.shrunk.data(), s.resample);
  return RgbImage{s.shrunk.data(), width, height};
}

// Bilinear sampling at the inverse image of each face pixel; taps outside the image count as black.
void Warp(const RgbImage& src, const Similarity& t, int width, int height, uint8_t* out) {
  const double det = t.a * t.a + t.b * t.b;
  const double ia = t.a / det, ib = t.b / det;
  const size_t stride = static_cast<size_t>(src.width) * 3;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x, out += 3) {
      const double dx = x - t.tx, dy = y - t.ty;
      const double sx = ia * dx + ib * dy, sy = -ib * dx + ia * dy;
      const double fx0 = std::floor(sx), fy0 = std::floor(sy);
      const double fx = sx - fx0, fy = sy - fy0;
      double v[3] = {0, 0, 0};
      // Far outside: skip the casts (the doubles may not fit an int).
      if (fx0 >= -1 && fy0 >= -1 && fx0 < src.width && fy0 < src.height) {
        const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
        const double w[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
        for (int k = 0; k < 4; ++k) {
          const int xx = x0 + (k & 1), yy = y0 + (k >> 1);
          if (xx < 0 || yy < 0 || xx >= src.width || yy >= src.height) continue;
          const uint8_t* p = src.data + yy * stride + static_cast<size_t>(xx) * 3;
          for (int c = 0; c < 3; ++c) v[c] += w[k] * p[c];
        }
      }
      for (int c = 0; c < 3; ++c) out[c] = static_cast<uint8_t>(std::min(255.0, std::floor(v[c] + 0.5)));
    }
  }
}

}  // namespace

RgbImage AlignFace(const RgbImage& src, const AlignPlan& plan, AlignScratch& scratch) {
  const RgbImage img = plan.pre_width > 0 ? Shrink(src, plan.pre_width, plan.pre_height, scratch) : src;
  scratch.face.resize(static_cast<size_t>(plan.width) * plan.height * 3);
  Warp(img, plan.map, plan.width, plan.height, scratch.face.data());
  return RgbImage{scratch.face.data(), plan.width, plan.height};
}

}  // namespace vgg2

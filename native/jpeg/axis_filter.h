// Resampling weights along one axis of the output window: a triangle (bilinear) filter whose
// support widens with the downscaling factor (antialiased, like PIL's / torchvision's BILINEAR),
// or lanczos3 likewise (PIL's LANCZOS; the 5-point alignment's pre-shrink, as sharp's resize was),
// renormalised at the region's edges. Weights are 14-bit fixed point and sum to exactly 1 << 14.
#pragma once
#include <cstdint>
#include <vector>

namespace vgg2 {

class AxisFilter {
 public:
  static constexpr int kBits = 14;
  enum class Kernel { kTriangle, kLanczos3 };

  // Output positions x in [0, out_len) sample the resized axis at origin + x (or, reversed,
  // origin + out_len - 1 - x: a flip). The resized axis has `resized` pixels spanning source
  // coordinates [start, start + length) (pixel edges; pixel k's centre is k + 0.5); taps stay
  // inside source pixels [lo, hi).
  AxisFilter(int out_len, int origin, bool reverse, double start, double length, int resized, int lo, int hi,
             Kernel kernel = Kernel::kTriangle);

  int size() const { return static_cast<int>(first_.size()); }
  int first(int x) const { return first_[x]; }
  int count(int x) const { return count_[x]; }
  const int32_t* weights(int x) const { return &weights_[offset_[x]]; }
  // Every output is exactly one source pixel: the resample is a copy (crop / flip of a raw base).
  bool unit() const { return unit_; }
  int lowest() const { return lowest_; }
  int highest() const { return highest_; }  // exclusive

 private:
  std::vector<int> first_, count_, offset_;
  std::vector<int32_t> weights_;
  bool unit_ = true;
  int lowest_ = 0, highest_ = 0;
};

}  // namespace vgg2

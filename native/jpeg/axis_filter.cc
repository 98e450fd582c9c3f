#include "jpeg/axis_filter.h"

#include <algorithm>
#include <cmath>

namespace vgg2 {

namespace {

double Sinc(double x) {
  if (x == 0) return 1;
  x *= M_PI;
  return std::sin(x) / x;
}

}  // namespace

AxisFilter::AxisFilter(int out_len, int origin, bool reverse, double start, double length, int resized, int lo, int hi,
                       Kernel kernel) {
  const double scale = length / resized;
  const double stretch = std::max(1.0, scale);  // the kernel widens when downscaling (antialiasing)
  const double radius = kernel == Kernel::kLanczos3 ? 3.0 : 1.0;
  const double support = radius * stretch;
  auto weight = [&](double d) {  // d: distance in kernel units
    if (kernel == Kernel::kTriangle) return std::max(0.0, 1.0 - std::abs(d));
    return std::abs(d) < 3.0 ? Sinc(d) * Sinc(d / 3.0) : 0.0;
  };
  first_.resize(out_len);
  count_.resize(out_len);
  offset_.resize(out_len);
  lowest_ = hi;
  highest_ = lo;
  std::vector<double> w;
  std::vector<int32_t> q;
  for (int x = 0; x < out_len; ++x) {
    const int u = origin + (reverse ? out_len - 1 - x : x);
    const double centre = start + (u + 0.5) * scale - 0.5;  // in source pixel indices
    int k0 = std::max(lo, static_cast<int>(std::floor(centre - support)) + 1);
    int k1 = std::min(hi - 1, static_cast<int>(std::ceil(centre + support)) - 1);
    if (k0 > k1) k0 = k1 = std::clamp(static_cast<int>(std::lround(centre)), lo, hi - 1);
    w.assign(k1 - k0 + 1, 0.0);
    double sum = 0;
    for (int k = k0; k <= k1; ++k) sum += w[k - k0] = weight((k - centre) / stretch);
    if (sum <= 0) {  // only when clamping left taps at zero weight: take the nearest pixel
      std::fill(w.begin(), w.end(), 0.0);
      w[std::clamp(static_cast<int>(std::lround(centre)), k0, k1) - k0] = sum = 1.0;
    }
    // Quantise, then give the rounding residue to the largest weight so that flat areas stay flat
    // (lanczos3's lobes are negative: the passes clamp).
    q.assign(w.size(), 0);
    int32_t total = 0;
    size_t biggest = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      q[i] = static_cast<int32_t>(std::lround(w[i] / sum * (1 << kBits)));
      total += q[i];
      if (q[i] > q[biggest]) biggest = i;
    }
    q[biggest] += (1 << kBits) - total;
    // Drop zero taps at either end (rounding leftovers), so that exact copies are recognised.
    size_t a = 0, b = q.size();
    while (a + 1 < b && q[a] == 0) ++a;
    while (b - 1 > a && q[b - 1] == 0) --b;
    first_[x] = k0 + static_cast<int>(a);
    count_[x] = static_cast<int>(b - a);
    offset_[x] = static_cast<int>(weights_.size());
    weights_.insert(weights_.end(), q.begin() + a, q.begin() + b);
    unit_ = unit_ && count_[x] == 1;
    lowest_ = std::min(lowest_, first_[x]);
    highest_ = std::max(highest_, first_[x] + count_[x]);
  }
}

}  // namespace vgg2

#include "quant/qparams.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace vgg2::quant {

QParams QParamsFor(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QParams q;
  // An fp32 value, so that the file's F32 [scale, zero_point] reproduces it exactly.
  q.scale = static_cast<float>(std::max((hi - lo) / 255.0, static_cast<double>(std::numeric_limits<float>::epsilon())));
  q.zero_point = std::clamp<int64_t>(std::llround(-lo / q.scale), 0, 255);
  return q;
}

void ActivationRange::Observe(const at::Tensor& input) {
  auto x = input.detach().to(at::kFloat);
  auto [mn, mx] = at::aminmax(x);
  double lo = mn.item<double>(), hi = mx.item<double>();
  if (!std::isfinite(lo) || !std::isfinite(hi)) return;  // a NaN batch teaches nothing
  if (count_ == 0) {
    lo_ = lo;
    hi_ = std::max(hi, lo + 1e-12);
    histogram_.assign(kBins, 0.0);
  } else if (lo < lo_ || hi > hi_) {
    Rebin(std::min(lo, lo_), std::max(hi, hi_));
  }
  auto h = at::histc(x, kBins, lo_, hi_).to(at::kDouble).contiguous();
  const double* p = h.data_ptr<double>();
  for (int64_t i = 0; i < kBins; ++i) histogram_[i] += p[i];
  count_ += x.numel();
}

// The old counts moved to the bins of a wider range, each old bin by its centre.
void ActivationRange::Rebin(double lo, double hi) {
  std::vector<double> wider(kBins, 0.0);
  const double old_width = (hi_ - lo_) / kBins, width = (hi - lo) / kBins;
  for (int64_t i = 0; i < kBins; ++i) {
    const double centre = lo_ + (i + 0.5) * old_width;
    wider[std::clamp<int64_t>(static_cast<int64_t>((centre - lo) / width), 0, kBins - 1)] += histogram_[i];
  }
  histogram_.swap(wider);
  lo_ = lo;
  hi_ = hi;
}

QParams ActivationRange::Choose(Method method) const {
  if (count_ == 0) return QParamsFor(0, 1);
  if (method == Method::kMinMax) return QParamsFor(lo_, hi_);
  const double width = (hi_ - lo_) / kBins;
  // Expected squared error of quantizing with the range [bin a, bin b).
  auto cost = [&](int64_t a, int64_t b) {
    const double lo = lo_ + a * width, hi = lo_ + b * width, step = (hi - lo) / 255.0;
    double err = 0;
    for (int64_t i = 0; i < kBins; ++i) {
      if (histogram_[i] == 0) continue;
      const double x = lo_ + (i + 0.5) * width;
      const double d = x < lo ? lo - x : (x > hi ? x - hi : 0.0);
      err += histogram_[i] * (d > 0 ? d * d : step * step / 12.0);
    }
    return err;
  };
  // Greedy search: shrink from whichever end costs less, keep the best range seen.
  int64_t a = 0, b = kBins, best_a = 0, best_b = kBins;
  double best = cost(a, b);
  const int64_t stride = std::max<int64_t>(1, kBins / 256);
  while (b - a > kBins / 16) {
    const double left = cost(a + stride, b), right = cost(a, b - stride);
    if (left < right) {
      a += stride;
    } else {
      b -= stride;
    }
    const double c = std::min(left, right);
    if (c < best) {
      best = c;
      best_a = a;
      best_b = b;
    }
  }
  return QParamsFor(lo_ + best_a * width, lo_ + best_b * width);
}

}  // namespace vgg2::quant

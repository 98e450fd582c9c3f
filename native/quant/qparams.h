// Affine quint8 parameters of an activation, and the observer that chooses them from what a
// calibration set makes the fp32 network produce.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace vgg2::quant {

struct QParams {
  double scale = 1.0;
  int64_t zero_point = 0;
};

// quint8 parameters covering [lo, hi] (widened to include 0, so that zero padding is exact).
QParams QParamsFor(double lo, double hi);

class ActivationRange {
 public:
  enum class Method { kMinMax, kHistogram };

  void Observe(const at::Tensor& x);
  bool empty() const { return count_ == 0; }
  // minmax: the whole observed range. histogram: the sub-range with the least expected squared
  // error (clipping outside it plus rounding inside), as PyTorch's HistogramObserver chooses.
  QParams Choose(Method method) const;

 private:
  static constexpr int64_t kBins = 2048;
  void Rebin(double lo, double hi);

  double lo_ = 0, hi_ = 0;
  int64_t count_ = 0;
  std::vector<double> histogram_;  // kBins over [lo_, hi_]
};

}  // namespace vgg2::quant

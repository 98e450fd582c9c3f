#include "jpeg/render_window.h"

#include <algorithm>
#include <cstring>

namespace vgg2 {

namespace {

constexpr int kInter = 8;  // extra bits kept between the passes
constexpr int kShiftH = AxisFilter::kBits - kInter;
constexpr int kShiftV = AxisFilter::kBits + kInter;

void Copy(const RgbImage& src, const AxisFilter& fx, const AxisFilter& fy, uint8_t* out) {
  const int w = fx.size();
  const size_t stride = static_cast<size_t>(src.width) * 3;
  // A crop without flip reads one contiguous run per row.
  bool contiguous = true;
  for (int x = 1; x < w && contiguous; ++x) contiguous = fx.first(x) == fx.first(0) + x;
  for (int y = 0; y < fy.size(); ++y) {
    const uint8_t* row = src.data + fy.first(y) * stride;
    uint8_t* o = out + static_cast<size_t>(y) * w * 3;
    if (contiguous) {
      std::memcpy(o, row + fx.first(0) * 3, static_cast<size_t>(w) * 3);
      continue;
    }
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = row + fx.first(x) * 3;
      o[3 * x] = p[0];
      o[3 * x + 1] = p[1];
      o[3 * x + 2] = p[2];
    }
  }
}

void Resample(const RgbImage& src, const AxisFilter& fx, const AxisFilter& fy, uint8_t* out, ResampleScratch& s) {
  auto& tmp = s.rows;
  const int w = fx.size();
  const int y0 = fy.lowest(), rows = fy.highest() - fy.lowest();
  const size_t stride = static_cast<size_t>(src.width) * 3;
  tmp.resize(static_cast<size_t>(rows) * w * 3);
  // Horizontal pass over the source rows the vertical filter will read.
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = src.data + (y0 + r) * stride;
    uint16_t* t = tmp.data() + static_cast<size_t>(r) * w * 3;
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = row + fx.first(x) * 3;
      const int32_t* k = fx.weights(x);
      int32_t a = 1 << (kShiftH - 1), b = a, c = a;
      for (int i = 0, n = fx.count(x); i < n; ++i, p += 3) {
        a += k[i] * p[0];
        b += k[i] * p[1];
        c += k[i] * p[2];
      }
      // Clamped: lanczos3's negative lobes can over- or undershoot (the triangle never does).
      t[3 * x] = static_cast<uint16_t>(std::clamp(a >> kShiftH, 0, 65535));
      t[3 * x + 1] = static_cast<uint16_t>(std::clamp(b >> kShiftH, 0, 65535));
      t[3 * x + 2] = static_cast<uint16_t>(std::clamp(c >> kShiftH, 0, 65535));
    }
  }
  // Vertical pass: weights sum to 1 << 14 (their absolute values to < 1.6x that), so nothing
  // overflows int32.
  const size_t row_len = static_cast<size_t>(w) * 3;
  s.acc.resize(row_len);
  int32_t* acc = s.acc.data();
  for (int y = 0; y < fy.size(); ++y) {
    const int32_t* k = fy.weights(y);
    const uint16_t* base = tmp.data() + (fy.first(y) - y0) * row_len;
    std::fill(acc, acc + row_len, 1 << (kShiftV - 1));
    for (int i = 0, n = fy.count(y); i < n; ++i) {
      const uint16_t* t = base + i * row_len;
      for (size_t j = 0; j < row_len; ++j) acc[j] += k[i] * t[j];
    }
    uint8_t* o = out + y * row_len;
    for (size_t j = 0; j < row_len; ++j) o[j] = static_cast<uint8_t>(std::clamp(acc[j] >> kShiftV, 0, 255));
  }
}

// As libvips does it: linear gives floats (no rounding), recomb works on those, and only the
// final cast clamps and truncates to uint8.
void ApplyTone(const Tone& tone, uint8_t* px, size_t pixels) {
  const bool linear = tone.gain != 1 || tone.bias != 0;
  if (!linear && !tone.gray) return;
  auto cast = [](float v) { return static_cast<uint8_t>(std::clamp(v, 0.f, 255.f)); };
  for (size_t i = 0; i < pixels; ++i, px += 3) {
    float v[3] = {static_cast<float>(px[0]), static_cast<float>(px[1]), static_cast<float>(px[2])};
    if (linear)
      for (float& c : v) c = static_cast<float>(tone.gain * c + tone.bias);
    if (tone.gray)
      px[0] = px[1] = px[2] = cast(static_cast<float>(0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]));
    else
      for (int c = 0; c < 3; ++c) px[c] = cast(v[c]);
  }
}

}  // namespace

void RenderWindow(const RgbImage& src, const AxisFilter& fx, const AxisFilter& fy, const Tone& tone, uint8_t* out,
                  ResampleScratch& scratch) {
  if (fx.unit() && fy.unit())
    Copy(src, fx, fy, out);
  else
    Resample(src, fx, fy, out, scratch);
  ApplyTone(tone, out, static_cast<size_t>(fx.size()) * fy.size());
}

}  // namespace vgg2

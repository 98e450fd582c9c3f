#include "jpeg/batch_decoder.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "jpeg/axis_filter.h"

namespace vgg2 {

BatchDecoder::BatchDecoder(std::vector<ImageSpec> specs, uint8_t* out)
    : specs_(std::move(specs)), out_(out), errors_(specs_.size()) {}

void BatchDecoder::Run(ThreadPool& pool) {
  scratch_.resize(pool.size());
  pool.ParallelFor(static_cast<int>(specs_.size()), [this](int i, int worker) {
    try {
      RenderOne(specs_[i], out_ + specs_[i].offset, scratch_[worker]);
    } catch (const std::exception& e) {
      errors_[i] = e.what();
    } catch (...) {
      errors_[i] = "unknown error";
    }
  });
}

void BatchDecoder::RenderOne(const ImageSpec& s, uint8_t* out, Scratch& scratch) const {
  RgbImage src{s.data, s.width, s.height};
  double factor = 1.0;  // decoded pixels per source pixel
  if (s.kind == ImageSpec::Kind::kJpeg) {
    if (!scratch.jpeg) scratch.jpeg = std::make_unique<JpegDecoder>();
    // Decode at the smallest DCT scale at which the region still has >= the resized size; in
    // full for an alignment, as sharp decodes it for the other formats (the same pixels).
    const double min_w = s.align ? s.width : static_cast<double>(s.width) * s.resized_width / s.region_width;
    const double min_h = s.align ? s.height : static_cast<double>(s.height) * s.resized_height / s.region_height;
    scratch.jpeg->Decode(s.data, s.length, s.width, s.height, min_w, min_h, scratch.decoded);
    const auto& d = scratch.decoded;
    src = RgbImage{d.rgb.data(), d.width, d.height};
    factor = static_cast<double>(d.num) / d.denom;
  }
  if (s.align) {
    // The window is cut from the aligned face, as from a raw base image.
    src = AlignFace(src, s.plan, scratch.align);
    const AxisFilter fx(s.window_width, s.crop_left, s.flip, 0, src.width, src.width, 0, src.width);
    const AxisFilter fy(s.window_height, s.crop_top, false, 0, src.height, src.height, 0, src.height);
    RenderWindow(src, fx, fy, Tone{s.gain, s.bias, s.gray}, out, scratch.resample);
    return;
  }
  // Pixel edges scale with the decoder's factor; keep taps inside the (scaled) region, as an
  // extract followed by a resize would.
  auto axis = [&](int out_len, int origin, bool reverse, int start, int length, int resized, int limit) {
    const int lo = static_cast<int>(std::floor(start * factor));
    const int hi = std::min(limit, static_cast<int>(std::ceil((start + length) * factor)));
    return AxisFilter(out_len, origin, reverse, start * factor, length * factor, resized, lo, std::max(hi, lo + 1));
  };
  const AxisFilter fx =
      axis(s.window_width, s.crop_left, s.flip, s.region_left, s.region_width, s.resized_width, src.width);
  const AxisFilter fy =
      axis(s.window_height, s.crop_top, false, s.region_top, s.region_height, s.resized_height, src.height);
  RenderWindow(src, fx, fy, Tone{s.gain, s.bias, s.gray}, out, scratch.resample);
}

}  // namespace vgg2

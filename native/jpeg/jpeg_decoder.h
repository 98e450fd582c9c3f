// One TurboJPEG decompressor (a handle is not thread-safe: one per pool thread). Decodes to RGB at
// the smallest DCT scaling factor that still gives at least the wanted size, so that big images
// are mostly shrunk inside the IDCT rather than decoded in full and filtered down.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vgg2 {

// sharp's default limitInputPixels (0x3FFF squared); lib/ uses the same number for its sharp calls.
constexpr double kMaxInputPixels = 268402689;

struct DecodedImage {
  std::vector<uint8_t> rgb;
  int width = 0, height = 0;
  int num = 1, denom = 1;  // scale factor applied to the full-size image
};

class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Decodes `data`; the factor is the smallest one with full_width * f >= min_width and
  // full_height * f >= min_height (never above 1). Throws std::runtime_error for anything sharp
  // should look at instead: corrupt or truncated data, CMYK / YCCK, a header that disagrees with
  // expect_width x expect_height. Harmless libjpeg warnings (extraneous bytes) are accepted, as
  // the sharp path does (failOn: 'truncated').
  void Decode(const uint8_t* data, size_t length, int expect_width, int expect_height, double min_width,
              double min_height, DecodedImage& out);

  // Whether this build has TurboJPEG, and its version ("" without).
  static const char* Version();

 private:
  void* handle_ = nullptr;
};

}  // namespace vgg2

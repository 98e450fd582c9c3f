#include "jpeg/jpeg_decoder.h"

#include <cstring>
#include <stdexcept>

#ifdef VGG2_TURBOJPEG
#include <turbojpeg.h>
// The version is in libjpeg's jconfig.h (libjpeg62-turbo-dev), which libturbojpeg0-dev alone lacks.
#if __has_include(<jconfig.h>)
#include <jconfig.h>
#endif
#endif

namespace vgg2 {

#ifdef VGG2_TURBOJPEG

#define VGG2_STR2(x) #x
#define VGG2_STR(x) VGG2_STR2(x)

#ifdef LIBJPEG_TURBO_VERSION
const char* JpegDecoder::Version() { return VGG2_STR(LIBJPEG_TURBO_VERSION); }
#else
const char* JpegDecoder::Version() { return "unknown version"; }
#endif

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (!handle_) throw std::runtime_error(std::string("tjInitDecompress: ") + tjGetErrorStr2(nullptr));
}

JpegDecoder::~JpegDecoder() { tjDestroy(handle_); }

void JpegDecoder::Decode(const uint8_t* data, size_t length, int expect_width, int expect_height, double min_width,
                         double min_height, DecodedImage& out) {
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(handle_, data, length, &width, &height, &subsamp, &colorspace) != 0)
    throw std::runtime_error(std::string("JPEG header: ") + tjGetErrorStr2(handle_));
  if (width != expect_width || height != expect_height)
    throw std::runtime_error("JPEG header says " + std::to_string(width) + "x" + std::to_string(height) +
                             ", expected " + std::to_string(expect_width) + "x" + std::to_string(expect_height));
  // Same cap as sharp's limitInputPixels default: a forged header must not allocate gigabytes.
  if (static_cast<double>(width) * height > kMaxInputPixels)
    throw std::runtime_error("JPEG header says " + std::to_string(width) + "x" + std::to_string(height) +
                             ", more than the " + std::to_string(kMaxInputPixels) + "-pixel limit");
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) throw std::runtime_error("CMYK/YCCK JPEG");

  // Factors come largest first (2/1 ... 1/8): keep the last one <= 1 that is still big enough.
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  tjscalingfactor best{1, 1};
  for (int i = 0; i < count; ++i) {
    const auto& f = factors[i];
    if (f.num > f.denom) continue;
    if (static_cast<double>(width) * f.num / f.denom + 1e-9 >= min_width &&
        static_cast<double>(height) * f.num / f.denom + 1e-9 >= min_height)
      best = f;
  }
  out.width = TJSCALED(width, best);
  out.height = TJSCALED(height, best);
  out.num = best.num;
  out.denom = best.denom;
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
  if (tjDecompress2(handle_, data, length, out.rgb.data(), out.width, out.width * 3, out.height, TJPF_RGB, 0) != 0) {
    const char* message = tjGetErrorStr2(handle_);
    // Warnings (TJERR_WARNING) still give an image; only truncation counts as a failure, like
    // sharp's failOn: 'truncated' (and PIL, which raises on a truncated file).
    if (tjGetErrorCode(handle_) != TJERR_WARNING || std::strstr(message, "Premature end") != nullptr)
      throw std::runtime_error(std::string("JPEG: ") + message);
  }
}

#else  // built without TurboJPEG: every JPEG goes to sharp

const char* JpegDecoder::Version() { return ""; }
JpegDecoder::JpegDecoder() = default;
JpegDecoder::~JpegDecoder() = default;
void JpegDecoder::Decode(const uint8_t*, size_t, int, int, double, double, DecodedImage&) {
  throw std::runtime_error("built without TurboJPEG");
}

#endif

}  // namespace vgg2

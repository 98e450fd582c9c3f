// One image of a batch as the JS side planned it: where its pixels are, which part of it becomes
// the face, how big that part is after resizing, and which window of the resized face (with flip /
// gray / linear tone) lands where in the output (a batch slot, or a whole resized base image). The geometry is computed
// in TypeScript (lib/data/native-renderer.ts) with the same functions as the sharp path, so both agree.
#pragma once
#include <cstddef>
#include <cstdint>

#include "jpeg/similarity_warp.h"

namespace vgg2 {

struct ImageSpec {
  enum class Kind { kJpeg, kRaw };
  Kind kind = Kind::kJpeg;
  const uint8_t* data = nullptr;  // JPEG bytes, or width*height*3 RGB bytes (raw)
  size_t length = 0;
  int width = 0, height = 0;  // of the source image (a JPEG's header must agree)
  int region_left = 0, region_top = 0, region_width = 0, region_height = 0;
  int resized_width = 0, resized_height = 0;  // the region is resized to this...
  int crop_left = 0, crop_top = 0;            // ...and the window at this top-left corner...
  int window_width = 0, window_height = 0;
  size_t offset = 0;  // ...is written here in the output, rows of window_width * 3 bytes
  bool flip = false, gray = false;
  double gain = 1, bias = 0;  // v -> gain * v + bias, before gray (sharp's linear)
  // 5-point alignment: the whole image (the region) is aligned to the resized_width x
  // resized_height face instead of resized; the window is then cut from the face.
  bool align = false;
  AlignPlan plan;
};

}  // namespace vgg2

// Resamples the window an AxisFilter pair describes from an RGB image into the output
// (a batch slot), then applies the per-image tone changes in sharp's order: linear (brightness/contrast),
// then grayscale, with libvips' arithmetic (float, truncated to uint8 at the end), so that a raw
// base gives exactly sharp's bytes.
#pragma once
#include <cstdint>
#include <vector>

#include "jpeg/axis_filter.h"

namespace vgg2 {

struct RgbImage {
  const uint8_t* data;
  int width, height;  // rows are width * 3 bytes
};

struct Tone {
  double gain = 1, bias = 0;
  bool gray = false;
};

// Buffers reused between the calls of one thread.
struct ResampleScratch {
  std::vector<uint16_t> rows;  // horizontally filtered source rows
  std::vector<int32_t> acc;    // one output row of the vertical pass
};

void RenderWindow(const RgbImage& src, const AxisFilter& fx, const AxisFilter& fy, const Tone& tone, uint8_t* out,
                  ResampleScratch& scratch);

}  // namespace vgg2

// The 5-point face alignment's resampling, one implementation for every decoder (TurboJPEG here,
// sharp's for the formats it takes): the image is first shrunk with antialiased lanczos3 when the
// face is much bigger than the template (bilinear sampling alone would alias), then mapped onto the
// template by a similarity with bilinear sampling, black outside the image. Pixel centres sit at
// integer coordinates (OpenCV's / ArcFace's convention), as the landmarks do.
#pragma once
#include <cstdint>
#include <vector>

#include "jpeg/render_window.h"

namespace vgg2 {

// x' = a x - b y + tx, y' = b x + a y + ty: source (pre-shrunk) pixels -> face pixels.
struct Similarity {
  double a = 1, b = 0, tx = 0, ty = 0;
};

struct AlignPlan {
  Similarity map;
  int pre_width = 0, pre_height = 0;  // shrink the whole image to this first; 0: no shrink
  int width = 0, height = 0;          // the aligned face
};

struct AlignScratch {
  std::vector<uint8_t> shrunk, face;
  ResampleScratch resample;
};

// Returns the aligned face (plan.width x plan.height RGB), held in scratch.face.
RgbImage AlignFace(const RgbImage& src, const AlignPlan& plan, AlignScratch& scratch);

}  // namespace vgg2

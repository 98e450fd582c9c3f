// Decodes, crops, resizes and augments the images of one batch on a ThreadPool, each straight into
// its place in the output (its slot of the uint8 NHWC batch buffer). An image that can't be done here (corrupt,
// truncated, CMYK, ...) gets an error message instead and its slot is left for the sharp path to fill.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jpeg/image_spec.h"
#include "jpeg/jpeg_decoder.h"
#include "jpeg/render_window.h"
#include "jpeg/similarity_warp.h"
#include "jpeg/thread_pool.h"

namespace vgg2 {

class BatchDecoder {
 public:
  // specs[i] is written to out + specs[i].offset (the caller checked the buffer's size).
  BatchDecoder(std::vector<ImageSpec> specs, uint8_t* out);

  void Run(ThreadPool& pool);

  // Per spec: empty when decoded, else why not.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Scratch {
    std::unique_ptr<JpegDecoder> jpeg;  // made on first use, on its thread
    DecodedImage decoded;
    ResampleScratch resample;
    AlignScratch align;
  };
  void RenderOne(const ImageSpec& spec, uint8_t* out, Scratch& scratch) const;

  std::vector<ImageSpec> specs_;
  uint8_t* out_;
  std::vector<std::string> errors_;
  std::vector<Scratch> scratch_;
};

}  // namespace vgg2

// trainStep's options object -> StepOptions, checked on the JS thread (TypeError / RangeError
// naming the option) before any native work.
#pragma once
#include <napi.h>

#include "session.h"

namespace vgg2 {

// batch_size: the images of the step (the distillation targets hold a row for each).
StepOptions ParseStepOptions(const Napi::Value& options, int64_t batch_size);

}  // namespace vgg2

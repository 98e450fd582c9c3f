// Per-environment state of the addon (worker threads and several Node environments may load it,
// so no statics).
#pragma once
#include <napi.h>

#include <memory>

#include "detect/detection_context.h"
#include "jpeg/thread_pool.h"
#include "settler.h"

namespace vgg2 {

struct AddonData {
  Napi::FunctionReference engine_constructor;
  Napi::FunctionReference group_constructor;  // dist::GroupWrap
  // Settles every worker's promise on this environment's JS thread.
  std::shared_ptr<Settler> settler;
  // decodeBatch's threads, made on first use (and remade when another size is asked for).
  std::shared_ptr<ThreadPool> decode_pool;
  // detectFaces' threads, detectors and landmark models, made on first use.
  std::shared_ptr<DetectionContext> detection;
};

}  // namespace vgg2

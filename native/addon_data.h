// Per-environment state of the addon (worker threads and several Node environments may load it,
// so no statics).
#pragma once
#include <memory>
#include <napi.h>

#include "jpeg/thread_pool.h"

namespace vgg2 {

struct AddonData {
  Napi::FunctionReference engine_constructor;
  // decodeBatch's threads, made on first use (and remade when another size is asked for).
  std::shared_ptr<ThreadPool> decode_pool;
};

}  // namespace vgg2

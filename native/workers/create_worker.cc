#include "workers/create_worker.h"

#include "engine.h"

namespace vgg2 {

Napi::Value CreateWorker::Result(Napi::Env env) { return Engine::Wrap(env, std::move(session_)); }

}  // namespace vgg2

// Module init: registers the Engine class and the module functions. Per-environment state lives in
// AddonData (instance data), never in statics.
#include <napi.h>

#include "addon_data.h"
#include "caching_cpu_allocator.h"
#include "detect/detect_worker.h"
#include "detect/face_detector.h"
#include "dist/group_wrap.h"
#include "engine.h"
#include "errors.h"
#include "gallery/search_worker.h"
#include "info.h"
#include "jpeg/jpeg_decoder.h"
#include "session_options.h"
#include "settler.h"
#include "task_thread.h"
#include "threads.h"
#include "workers/create_worker.h"
#include "workers/decode_batch_worker.h"
#include "workers/inspect_worker.h"

// libuv's, exported by node (its headers are not among the addon's).
extern "C" uv_loop_s* uv_default_loop(void);

namespace vgg2 {

namespace {
Napi::Value CreateEngine(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    return (new CreateWorker(info.Env(), ParseSessionConfig(info[0])))->Start();
  });
}

Napi::Value InspectWeights(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsString()) ThrowType(info.Env(), "inspectWeights(path): path must be a string");
    return (new InspectWorker(info.Env(), info[0].As<Napi::String>().Utf8Value()))->Start();
  });
}

Napi::Value GetInfo(const Napi::CallbackInfo& info) { return Info(info.Env()); }

// process.exit() runs static destructors (oneDNN's, LibTorch's) while a step may still run on the
// compute thread: stop the task threads first. Only for the main thread's environment (a worker
// thread's exit ends no other environment's work).
void StopTaskThreadsAtExit(Napi::Env env) {
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop != uv_default_loop()) return;
  auto process = env.Global().Get("process").As<Napi::Object>();
  process.Get("on").As<Napi::Function>().Call(
      process, {Napi::String::New(env, "exit"), Napi::Function::New(env, [](const Napi::CallbackInfo&) {
                  TaskThread::Compute().Stop();
                  TaskThread::Decode().Stop();
                })});
}
}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitThreads();
  CachingCpuAllocator::Install();
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  data->settler = Settler::Create(env);
  StopTaskThreadsAtExit(env);
  auto engine = Engine::Define(env);
  data->engine_constructor = Napi::Persistent(engine);
  exports.Set("Engine", engine);
  exports.Set("createEngine", Napi::Function::New<CreateEngine>(env, "createEngine"));
  auto group = dist::GroupWrap::Define(env);
  data->group_constructor = Napi::Persistent(group);
  exports.Set("ProcessGroup", group);
  exports.Set("createProcessGroup", Napi::Function::New<dist::CreateProcessGroup>(env, "createProcessGroup"));
  exports.Set("gloo", Napi::Boolean::New(env, dist::HaveGloo()));
  exports.Set("inspectWeights", Napi::Function::New<InspectWeights>(env, "inspectWeights"));
  exports.Set("info", Napi::Function::New<GetInfo>(env, "info"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("torchVersion", TORCH_VERSION);
  exports.Set("decodeBatch", Napi::Function::New<DecodeBatch>(env, "decodeBatch"));
  exports.Set("detectFaces", Napi::Function::New<DetectFaces>(env, "detectFaces"));
  exports.Set("dlib", Napi::Boolean::New(env, HaveDlib()));
  exports.Set("gallerySearch", Napi::Function::New<GallerySearch>(env, "gallerySearch"));
  exports.Set("turbojpeg", JpegDecoder::Version());
  return exports;
}

}  // namespace vgg2

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return vgg2::Init(env, exports); }

NODE_API_MODULE(vgg2_torch, InitAddon)

// LibTorch's intra-op thread count, for every thread that runs our work.
//
// Why not just at::set_num_threads: with OpenMP the count is a per-thread setting, read once by
// each thread when it first runs a parallel op. Our work runs on the compute thread
// (task_thread.h), so a count set on the JS thread (or changed later) would not reach it. The
// wanted count is kept here and applied there before each worker's work (see PromiseWorker).
#pragma once
#include <napi.h>

namespace vgg2 {

// At load: VGG2_THREADS, else every core (LibTorch 1.13 would use half).
void InitThreads();
int DesiredThreads();
// Makes the calling thread use DesiredThreads() (cheap when it already does).
void ApplyThreads();
// setThreads(n) from JS.
Napi::Value SetThreads(const Napi::CallbackInfo& info);

}  // namespace vgg2

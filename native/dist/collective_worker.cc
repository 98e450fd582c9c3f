#include "dist/collective_worker.h"

#include <cstring>

#include "dist/group_wrap.h"

namespace vgg2::dist {

void CollectiveWorker::Run() {
  if (kind_ == Kind::kBarrier) {
    group_->Barrier();
    return;
  }
  auto tensor = at::from_blob(values_.data(), {static_cast<int64_t>(values_.size())}, at::kDouble);
  if (kind_ == Kind::kAllReduceSum) {
    group_->AllReduceSum(tensor)->Wait();
  } else {
    group_->Broadcast(tensor, root_);
  }
}

Napi::Value CollectiveWorker::Result(Napi::Env env) {
  if (kind_ == Kind::kBarrier) return env.Undefined();
  auto out = Napi::Float64Array::New(env, values_.size());
  std::memcpy(out.Data(), values_.data(), values_.size() * sizeof(double));
  return out;
}

Napi::Value ConnectWorker::Result(Napi::Env env) { return GroupWrap::Wrap(env, group_); }

}  // namespace vgg2::dist

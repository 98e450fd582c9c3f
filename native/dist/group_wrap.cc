#include "dist/group_wrap.h"

#include "addon_data.h"
#include "dist/collective_worker.h"
#include "errors.h"
#include "option_reader.h"
#include "shared_wrap.h"
#include "workers/promise_worker.h"

namespace vgg2::dist {

namespace {
std::vector<double> ToValues(const Napi::Value& value, const char* method) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(value.Env(), std::string(method) + "(values): values must be a Float64Array");
  }
  auto array = value.As<Napi::Float64Array>();
  return std::vector<double>(array.Data(), array.Data() + array.ElementLength());
}

// allReduce's Float32Array: summed in place over the ranks (a gradient-sized buffer, e.g. for
// bench ddp); the array must not change until the promise settles.
class Float32SumWorker : public PromiseWorker {
 public:
  Float32SumWorker(Napi::Env env, std::shared_ptr<ProcessGroup> group, Napi::Float32Array array)
      : PromiseWorker(env),
        group_(std::move(group)),
        ref_(Napi::Persistent(array)),
        data_(array.Data()),
        n_(static_cast<int64_t>(array.ElementLength())) {}

 protected:
  void Run() override { group_->AllReduceSum(at::from_blob(data_, {n_}, at::kFloat))->Wait(); }
  Napi::Value Result(Napi::Env env) override { return ref_.Value(); }

 private:
  std::shared_ptr<ProcessGroup> group_;
  Napi::Reference<Napi::Float32Array> ref_;
  float* data_;
  int64_t n_;
};
}  // namespace

Napi::Function GroupWrap::Define(Napi::Env env) {
  return DefineClass(env, "ProcessGroup",
                     {
                         InstanceMethod<&GroupWrap::AllReduce>("allReduce"),
                         InstanceMethod<&GroupWrap::Broadcast>("broadcast"),
                         InstanceMethod<&GroupWrap::Barrier>("barrier"),
                         InstanceMethod<&GroupWrap::Close>("close"),
                         InstanceAccessor<&GroupWrap::GetRank>("rank"),
                         InstanceAccessor<&GroupWrap::GetWorldSize>("worldSize"),
                     });
}

Napi::Value GroupWrap::Wrap(Napi::Env env, std::shared_ptr<ProcessGroup> group) {
  return WrapShared(env, env.GetInstanceData<AddonData>()->group_constructor, std::move(group));
}

GroupWrap::GroupWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<GroupWrap>(info),
      group_(TakeShared<ProcessGroup>(info, "ProcessGroup", "use createProcessGroup(options)")) {}

std::shared_ptr<ProcessGroup> GroupWrap::From(const Napi::Value& value) {
  auto env = value.Env();
  auto& ctor = env.GetInstanceData<AddonData>()->group_constructor;
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ctor.Value())) {
    ThrowType(env, "expected a ProcessGroup (from createProcessGroup)");
  }
  return Unwrap(value.As<Napi::Object>())->Live(env);
}

std::shared_ptr<ProcessGroup> GroupWrap::Live(Napi::Env env) const {
  if (!group_) throw Napi::Error::New(env, "this process group was closed");
  return group_;
}

Napi::Value GroupWrap::AllReduce(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto group = Live(info.Env());
    if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
      return (new Float32SumWorker(info.Env(), group, info[0].As<Napi::Float32Array>()))->Start();
    }
    auto values = ToValues(info[0], "allReduce");
    return (new CollectiveWorker(info.Env(), group, CollectiveWorker::Kind::kAllReduceSum, std::move(values)))->Start();
  });
}

Napi::Value GroupWrap::Broadcast(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto group = Live(info.Env());
    auto values = ToValues(info[0], "broadcast");
    const int root = static_cast<int>(ToInt(info[1], "broadcast root", 0, group->size() - 1));
    return (new CollectiveWorker(info.Env(), group, CollectiveWorker::Kind::kBroadcast, std::move(values), root))
        ->Start();
  });
}

Napi::Value GroupWrap::Barrier(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    return (new CollectiveWorker(info.Env(), Live(info.Env()), CollectiveWorker::Kind::kBarrier, {}))->Start();
  });
}

Napi::Value GroupWrap::Close(const Napi::CallbackInfo& info) {
  // Workers in flight keep the group alive until they settle; the connections close with the last owner.
  group_.reset();
  return info.Env().Undefined();
}

Napi::Value GroupWrap::GetRank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Live(info.Env())->rank());
}

Napi::Value GroupWrap::GetWorldSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Live(info.Env())->size());
}

Napi::Value CreateProcessGroup(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    OptionReader o(info[0]);
    GroupOptions options;
    options.world_size = static_cast<int>(o.Int("worldSize", 1, 1 << 20));
    options.rank = static_cast<int>(o.Int("rank", 0, options.world_size - 1));
    options.master_addr = o.String("masterAddr", "127.0.0.1");
    options.master_port = static_cast<int>(o.Int("masterPort", 1, 65535, 29500));
    options.timeout = std::chrono::milliseconds(o.Int("timeoutMs", 1, int64_t(7) * 24 * 3600 * 1000, 300000));
    options.backend = o.Choice("backend", {"gloo", "nccl"}, "gloo");
    return (new ConnectWorker(info.Env(), std::move(options)))->Start();
  });
}

}  // namespace vgg2::dist

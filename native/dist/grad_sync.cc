#include "dist/grad_sync.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <chrono>
#include <mutex>
#include <stdexcept>

namespace vgg2::dist {

namespace {
struct Bucket {
  std::vector<size_t> members;  // indices into State::params
  std::vector<int64_t> offsets;
  at::Tensor flat;  // made once: nothing grows per step
  size_t ready = 0;
  std::unique_ptr<Pending> pending;
};
}  // namespace

struct GradSync::State {
  std::mutex mutex;  // hooks may run on an autograd device thread
  bool armed = false;
  std::vector<at::Tensor> params;  // participating parameters
  std::vector<size_t> bucket_of;   // param index -> bucket
  std::vector<bool> seen;          // this backward
  std::vector<Bucket> buckets;     // in launch order
  size_t next = 0;                 // the next bucket to launch
  std::shared_ptr<ProcessGroup> group;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;  // keep the hooked nodes alive

  void Launch(Bucket& b) {
    for (size_t k = 0; k < b.members.size(); ++k) {
      auto& p = params[b.members[k]];
      auto slice = b.flat.narrow(0, b.offsets[k], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        slice.copy_(p.grad());
      } else {
        slice.zero_();  // not reached by this backward: DDP's find_unused_parameters counts it as zero
      }
    }
    b.pending = group->AllReduceSum(b.flat);
  }

  void LaunchReady() {
    while (next < buckets.size() && buckets[next].ready == buckets[next].members.size()) Launch(buckets[next++]);
  }

  void MarkReady(size_t index) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || seen[index]) return;
    seen[index] = true;
    ++buckets[bucket_of[index]].ready;
    LaunchReady();
  }
};

namespace {
class ReadyHook : public torch::autograd::FunctionPostHook {
 public:
  ReadyHook(std::weak_ptr<GradSync::State> state, size_t index) : state_(std::move(state)), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (auto state = state_.lock()) state->MarkReady(index_);
    return outputs;
  }

 private:
  std::weak_ptr<GradSync::State> state_;
  size_t index_;
};
}  // namespace

GradSync::GradSync(std::shared_ptr<ProcessGroup> group, std::vector<at::Tensor> parameters, int64_t bucket_bytes)
    : group_(std::move(group)), parameters_(std::move(parameters)), bucket_bytes_(bucket_bytes) {}

GradSync::~GradSync() = default;

void GradSync::Build() {
  // A fresh State: the old hooks hold only a weak pointer to theirs and fall silent.
  state_ = std::make_shared<State>();
  auto& s = *state_;
  s.group = group_;
  for (const auto& p : parameters_)
    if (p.requires_grad()) s.params.push_back(p);
  s.bucket_of.assign(s.params.size(), 0);
  s.seen.assign(s.params.size(), false);
  // Reverse registration order ~ the order backward reaches them; a first small bucket starts
  // communicating early, as DDP's 1 MB first bucket does.
  int64_t cap = 1 << 20, bytes = 0;
  for (size_t i = s.params.size(); i-- > 0;) {
    const auto& p = s.params[i];
    if (p.scalar_type() != at::kFloat) throw std::invalid_argument("distributed training needs fp32 parameters");
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    if (s.buckets.empty() || (bytes > 0 && bytes + size > cap)) {
      if (!s.buckets.empty()) cap = bucket_bytes_;
      s.buckets.emplace_back();
      bytes = 0;
    }
    auto& b = s.buckets.back();
    b.offsets.push_back(b.members.empty() ? 0 : b.offsets.back() + s.params[b.members.back()].numel());
    b.members.push_back(i);
    s.bucket_of[i] = s.buckets.size() - 1;
    bytes += size;
  }
  for (auto& b : s.buckets) {
    const int64_t n = b.offsets.back() + s.params[b.members.back()].numel();
    b.flat = at::empty({n}, s.params[b.members.front()].options().requires_grad(false));
  }
  for (size_t i = 0; i < s.params.size(); ++i) {
    auto accumulator = torch::autograd::impl::grad_accumulator(s.params[i]);
    accumulator->add_post_hook(std::make_unique<ReadyHook>(state_, i));
    s.accumulators.push_back(std::move(accumulator));
  }
}

void GradSync::Arm(bool sync) {
  // The participating set changes when the backbone is frozen or thawed: rebuild the buckets then.
  bool rebuild = !state_;
  if (state_) {
    size_t active = 0;
    for (const auto& p : parameters_) active += p.requires_grad();
    rebuild = active != state_->params.size();
  }
  if (rebuild) Build();
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->armed = sync;
  state_->next = 0;
  std::fill(state_->seen.begin(), state_->seen.end(), false);
  for (auto& b : state_->buckets) {
    b.ready = 0;
    b.pending.reset();
  }
}

double GradSync::Finish() {
  auto& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.armed) return 0;
    s.armed = false;
    while (s.next < s.buckets.size()) s.Launch(s.buckets[s.next++]);
  }
  const double scale = 1.0 / group_->size();
  double waited = 0;
  for (auto& b : s.buckets) {
    const auto start = std::chrono::steady_clock::now();
    b.pending->Wait();
    waited += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    b.pending.reset();
    b.flat.mul_(scale);
    for (size_t k = 0; k < b.members.size(); ++k) {
      auto& p = s.params[b.members[k]];
      auto slice = b.flat.narrow(0, b.offsets[k], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(slice);
      } else {
        p.mutable_grad() =
            slice.clone(p.is_contiguous(at::MemoryFormat::ChannelsLast) && p.dim() == 4 ? at::MemoryFormat::ChannelsLast
                                                                                        : at::MemoryFormat::Contiguous);
      }
    }
  }
  return waited;
}

void GradSync::BroadcastFromRoot(const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  // One flat tensor per dtype: a collective per tensor would cost 300 round trips for ResNet-50.
  std::vector<at::ScalarType> types;
  for (const auto& t : tensors)
    if (std::find(types.begin(), types.end(), t.scalar_type()) == types.end()) types.push_back(t.scalar_type());
  for (auto type : types) {
    std::vector<at::Tensor> group;
    for (const auto& t : tensors)
      if (t.scalar_type() == type) group.push_back(t);
    std::vector<at::Tensor> flat_parts;
    for (const auto& t : group) flat_parts.push_back(t.reshape({-1}));
    auto flat = at::cat(flat_parts).to(at::kCPU);
    group_->Broadcast(flat, 0);
    int64_t offset = 0;
    for (auto& t : group) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

}  // namespace vgg2::dist

// DistributedDataParallel's gradient averaging on a c10d process group. Parameters are grouped into
// buckets in reverse order (the order backward produces their gradients); a hook after each
// parameter's gradient accumulation marks it ready, and a full bucket is flattened and all-reduced
// asynchronously while backward goes on with earlier layers. Finish() waits for every bucket and
// writes the means back. Buckets are launched in index order on every rank, as c10d requires.
// (c10d's own Reducer is not usable from Debian's LibTorch 1.13: its header needs the distributed
// autograd headers the package leaves out. This is the same algorithm on the same collectives.)
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "dist/process_group.h"

namespace vgg2::dist {

class GradSync {
 public:
  // `parameters`: the model's, in registration order; only those requiring grad take part.
  GradSync(std::shared_ptr<ProcessGroup> group, std::vector<at::Tensor> parameters, int64_t bucket_bytes = 25 << 20);
  ~GradSync();

  // Before a backward: whether its gradients are to be averaged (the last micro-batch of a step)
  // or only accumulated locally (the others: no communication, as DDP's no_sync()).
  void Arm(bool sync);
  // After the armed backward: launches what the hooks did not, waits, and leaves every
  // participating gradient the mean over ranks (bitwise equal on every rank). Returns the
  // milliseconds spent waiting for the all-reduces (0 when not armed).
  double Finish();

  // Rank 0's parameters and buffers everywhere (at the start, and the buffers after each step).
  void BroadcastFromRoot(const std::vector<at::Tensor>& tensors);

  ProcessGroup& group() { return *group_; }

  struct State;  // the buckets, shared with the gradient hooks

 private:
  void Build();
  std::shared_ptr<ProcessGroup> group_;
  std::vector<at::Tensor> parameters_;
  int64_t bucket_bytes_;
  std::shared_ptr<State> state_;  // shared with the hooks, which outlive nothing but check `armed`
};

}  // namespace vgg2::dist

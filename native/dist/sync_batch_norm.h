// SyncBatchNorm: BatchNorm in training mode whose batch statistics are those of every rank's batch
// together (mean and variance all-reduced in the forward, the two gradient sums in the backward),
// as torch.nn.SyncBatchNorm. Two ranks at batch B then normalise exactly as one process at 2B.
// The models call Normalize() for each BatchNorm; it syncs while a SyncScope is active on this
// thread (a data-parallel training forward with syncBatchNorm) and the module is in training mode.
#pragma once
#include <torch/nn/modules/batchnorm.h>

#include "dist/process_group.h"

namespace vgg2::dist {

// While alive, training-mode BatchNorm forwards on this thread synchronise over `group` (null: not).
class SyncScope {
 public:
  explicit SyncScope(ProcessGroup* group);
  ~SyncScope();
  SyncScope(const SyncScope&) = delete;
  SyncScope& operator=(const SyncScope&) = delete;
  static ProcessGroup* Current();

 private:
  ProcessGroup* previous_;
};

// The batch-normalised x with statistics over every rank's batch; updates the running statistics
// (the same on every rank) as BatchNorm does.
at::Tensor SyncBatchNorm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                         at::Tensor& running_mean, at::Tensor& running_var, at::Tensor& batches_tracked,
                         double momentum, double eps, ProcessGroup& group);

// bn(x), or its synchronised form inside a SyncScope in training mode.
template <typename BatchNormImpl>
at::Tensor Normalize(BatchNormImpl& bn, const at::Tensor& x) {
  auto* group = SyncScope::Current();
  if (!group || !bn.is_training()) return bn.forward(x);
  return SyncBatchNorm(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked,
                       bn.options.momentum().value_or(0.1), bn.options.eps(), *group);
}

}  // namespace vgg2::dist

#include "dist/sync_batch_norm.h"

#include <torch/autograd.h>

#include <vector>

namespace vgg2::dist {

namespace {
thread_local ProcessGroup* current_group = nullptr;

// Every dimension but the channels'.
std::vector<int64_t> ReduceDims(const at::Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

std::vector<int64_t> ChannelShape(const at::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = x.size(1);
  return shape;
}

at::Tensor SumOverRanks(ProcessGroup& group, at::Tensor t) {
  t = t.contiguous();
  group.AllReduceSum(t)->Wait();
  return t;
}

// Two passes, as one process computes them: the global mean first, then the squared deviations
// from it (a sum of squares minus a squared mean would lose digits).
class SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias, at::Tensor running_mean, at::Tensor running_var,
                            at::Tensor batches_tracked, double momentum, double eps, int64_t group_address) {
    auto& group = *reinterpret_cast<ProcessGroup*>(group_address);
    const auto dims = ReduceDims(x);
    const auto shape = ChannelShape(x);
    const int64_t channels = x.size(1);
    auto x32 = x.to(at::kFloat);
    auto stats = SumOverRanks(
        group, at::cat({x32.sum(dims), at::full({1}, static_cast<double>(x.numel() / channels), x32.options())}));
    const double n = stats[channels].item<double>();
    auto mean = stats.narrow(0, 0, channels) / n;
    auto centred = x32 - mean.view(shape);
    auto var = SumOverRanks(group, centred.square().sum(dims)) / n;
    auto invstd = (var + eps).rsqrt();
    auto xhat = centred * invstd.view(shape);
    auto y = xhat * weight.view(shape) + bias.view(shape);
    {
      at::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean, momentum);
      running_var.mul_(1 - momentum).add_(var * (n / std::max(1.0, n - 1)), momentum);
      batches_tracked.add_(1);
    }
    ctx->save_for_backward({xhat, weight, invstd});
    ctx->saved_data["n"] = n;
    ctx->saved_data["group"] = group_address;
    ctx->saved_data["dtype"] = static_cast<int64_t>(x.scalar_type());
    return y.to(x.scalar_type()).contiguous(x.suggest_memory_format());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& xhat = saved[0];
    const auto& weight = saved[1];
    const auto& invstd = saved[2];
    auto& group = *reinterpret_cast<ProcessGroup*>(ctx->saved_data["group"].toInt());
    const double n = ctx->saved_data["n"].toDouble();
    const auto dtype = static_cast<at::ScalarType>(ctx->saved_data["dtype"].toInt());
    const auto dims = ReduceDims(xhat);
    const auto shape = ChannelShape(xhat);
    const int64_t channels = xhat.size(1);
    auto dy = grads[0].to(at::kFloat);
    auto sum_dy = dy.sum(dims);
    auto sum_dy_xhat = (dy * xhat).sum(dims);
    // The parameters' gradients are this rank's; GradSync averages them with the others'.
    auto grad_weight = sum_dy_xhat.clone();
    auto grad_bias = sum_dy.clone();
    auto sums = SumOverRanks(group, at::cat({sum_dy, sum_dy_xhat}));
    auto mean_dy = sums.narrow(0, 0, channels) / n;
    auto mean_dy_xhat = sums.narrow(0, channels, channels) / n;
    auto dx = (dy - mean_dy.view(shape) - xhat * mean_dy_xhat.view(shape)) * (invstd * weight).view(shape);
    return {dx.to(dtype).contiguous(grads[0].suggest_memory_format()),
            grad_weight,
            grad_bias,
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor()};
  }
};
}  // namespace

SyncScope::SyncScope(ProcessGroup* group) : previous_(current_group) { current_group = group; }
SyncScope::~SyncScope() { current_group = previous_; }
ProcessGroup* SyncScope::Current() { return current_group; }

at::Tensor SyncBatchNorm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                         at::Tensor& running_mean, at::Tensor& running_var, at::Tensor& batches_tracked,
                         double momentum, double eps, ProcessGroup& group) {
  if (x.numel() == 0) throw std::invalid_argument("SyncBatchNorm: an empty batch");
  return SyncBatchNormFunction::apply(x, weight, bias, running_mean, running_var, batches_tracked, momentum, eps,
                                      reinterpret_cast<int64_t>(&group));
}

}  // namespace vgg2::dist

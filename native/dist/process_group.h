// A c10d process group: the ranks of one training job, met through c10d's TCPStore (rank 0
// serves it) and joined by ProcessGroupGloo (CPU tensors). Every collective is PyTorch's own: the
// same wire protocol torch.distributed speaks. Collectives must be issued in the same order on
// every rank; all of them run on the compute thread (task_thread.h), which keeps that order.
#pragma once
#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <string>

namespace vgg2::dist {

struct GroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // Rendezvous and every collective: a rank that died or hangs fails the others after this.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  std::string backend = "gloo";
};

// A collective in flight.
class Pending {
 public:
  virtual ~Pending() = default;
  virtual void Wait() = 0;  // throws std::runtime_error naming this rank and the timeout
};

class ProcessGroup {
 public:
  // Blocks until all world_size ranks have met (or the timeout passes).
  explicit ProcessGroup(const GroupOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return options_.rank; }
  int size() const { return options_.world_size; }
  const GroupOptions& options() const { return options_; }

  // In place, summed over ranks; the result is identical on every rank.
  std::unique_ptr<Pending> AllReduceSum(const at::Tensor& tensor);
  // In place, rank `root`'s values everywhere.
  void Broadcast(const at::Tensor& tensor, int root);
  void Barrier();
  // Drops the connections; later collectives throw.
  void Close();

  // "rank R of W": what errors start with.
  std::string Who() const;
  // After a failed collective: which ranks had not issued as many collectives as this one (through
  // the store's counters), e.g. "; rank 1 did not reach it (...)"; empty when none can be named.
  std::string Laggards();

 private:
  // Counts this rank's collectives in the store (one round trip), so that a failure can name the
  // ranks that never arrived.
  void Issue();
  struct Impl;
  GroupOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Whether this build can make a process group ("gloo" needs LibTorch's Gloo and its headers).
bool HaveGloo();

}  // namespace vgg2::dist

#include "dist/process_group.h"

#include <stdexcept>

#include "compat.h"

#ifdef VGG2_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace vgg2::dist {

namespace {
std::string Seconds(std::chrono::milliseconds t) {
  auto s = std::to_string(t.count() / 1000.0);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s + " s";
}

// c10d's messages start with a source location: keep what follows it.
std::string FirstLine(const std::string& what) {
  auto line = what.substr(0, what.find('\n'));
  auto close = line.rfind("] ");
  return close != std::string::npos && line.front() == '[' ? line.substr(close + 2) : line;
}
}  // namespace

bool HaveGloo() {
#ifdef VGG2_HAVE_GLOO
  return true;
#else
  return false;
#endif
}

#ifdef VGG2_HAVE_GLOO
struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  int64_t issued = 0;  // this rank's collectives so far
};

namespace {
std::string CounterKey(int rank) { return "vgg2/collectives/" + std::to_string(rank); }

class GlooPending : public Pending {
 public:
  GlooPending(c10::intrusive_ptr<c10d::Work> work, ProcessGroup* group, std::chrono::milliseconds timeout)
      : work_(std::move(work)), group_(group), timeout_(timeout) {}
  void Wait() override {
    try {
      work_->wait(timeout_);
    } catch (const std::exception& e) {
      throw std::runtime_error(group_->Who() +
                               ": a collective with the other ranks failed (a rank died, or did not answer within " +
                               Seconds(timeout_) + "): " + FirstLine(e.what()) + group_->Laggards());
    }
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  ProcessGroup* group_;  // outlives its collectives: their owners hold the group
  std::chrono::milliseconds timeout_;
};
}  // namespace
#else
struct ProcessGroup::Impl {};
#endif

ProcessGroup::ProcessGroup(const GroupOptions& options) : options_(options) {
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size) {
    throw std::invalid_argument("rank " + std::to_string(options.rank) + " is outside a world of " +
                                std::to_string(options.world_size));
  }
  if (options.master_port < 1 || options.master_port > 65535) {
    throw std::invalid_argument("master port " + std::to_string(options.master_port) + " is not a TCP port (1-65535)");
  }
  if (options.backend != "gloo") {
    throw std::invalid_argument("backend '" + options.backend + "' is not available in this build: use 'gloo'");
  }
#ifdef VGG2_HAVE_GLOO
  impl_ = std::make_unique<Impl>();
  const auto where = options.master_addr + ":" + std::to_string(options.master_port);
  const auto missed = Who() + ": could not meet the other ranks at " + where + " within " + Seconds(options.timeout) +
                      " (is every rank started, with the same master address and port?): ";
  try {
    c10d::TCPStoreOptions store;
    store.port = static_cast<std::uint16_t>(options.master_port);
    store.isServer = options.rank == 0;
    store.numWorkers = options.world_size;
    store.waitWorkers = true;
    store.timeout = options.timeout;
    compat::UseClassicTcpStore(store);
    impl_->store = c10::make_intrusive<c10d::TCPStore>(options.master_addr, store);
  } catch (const std::exception& e) {
    throw std::runtime_error(missed + FirstLine(e.what()));
  }
  try {
    auto gloo = c10d::ProcessGroupGloo::Options::create(options.timeout);
    // The interface that reaches the master: loopback for one machine, the cluster network otherwise.
    gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(options.master_addr));
    impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, options.rank, options.world_size, gloo);
  } catch (const std::exception& e) {
    throw std::runtime_error(missed + "Gloo: " + FirstLine(e.what()));
  }
#else
  throw std::runtime_error(
      "this build has no c10d Gloo: install libgloo-dev (its headers) and rebuild, with a LibTorch built with Gloo");
#endif
}

ProcessGroup::~ProcessGroup() = default;

std::string ProcessGroup::Who() const {
  return "rank " + std::to_string(options_.rank) + " of " + std::to_string(options_.world_size);
}

void ProcessGroup::Issue() {
#ifdef VGG2_HAVE_GLOO
  if (!impl_->gloo) throw std::runtime_error(Who() + ": the process group is closed");
  try {
    impl_->issued = impl_->store->add(CounterKey(options_.rank), 1);
  } catch (const std::exception& e) {
    throw std::runtime_error(Who() + ": rank 0's store at " + options_.master_addr + ":" +
                             std::to_string(options_.master_port) + " is gone (rank 0 died?): " + FirstLine(e.what()));
  }
#endif
}

std::string ProcessGroup::Laggards() {
#ifdef VGG2_HAVE_GLOO
  std::string behind;
  try {
    impl_->store->setTimeout(std::chrono::seconds(5));
    for (int r = 0; r < options_.world_size; ++r) {
      if (r == options_.rank) continue;
      const auto count = impl_->store->add(CounterKey(r), 0);
      if (count < impl_->issued) behind += (behind.empty() ? "" : ", ") + std::to_string(r);
    }
  } catch (const std::exception&) {
    return options_.rank == 0 ? "" : "; rank 0's store does not answer either (rank 0 died?)";
  }
  if (behind.empty()) return "";
  return "; rank " + behind + " never reached this collective (" + std::to_string(impl_->issued) +
         " on this rank): it died or hangs";
#else
  return "";
#endif
}

std::unique_ptr<Pending> ProcessGroup::AllReduceSum(const at::Tensor& tensor) {
#ifdef VGG2_HAVE_GLOO
  Issue();
  std::vector<at::Tensor> list{tensor};
  c10d::AllreduceOptions op;
  op.reduceOp = c10d::ReduceOp::SUM;
  return std::make_unique<GlooPending>(impl_->gloo->allreduce(list, op), this, options_.timeout);
#else
  throw std::runtime_error("no c10d Gloo in this build");
#endif
}

void ProcessGroup::Broadcast(const at::Tensor& tensor, int root) {
#ifdef VGG2_HAVE_GLOO
  Issue();
  std::vector<at::Tensor> list{tensor};
  c10d::BroadcastOptions op;
  op.rootRank = root;
  GlooPending(impl_->gloo->broadcast(list, op), this, options_.timeout).Wait();
#else
  throw std::runtime_error("no c10d Gloo in this build");
#endif
}

void ProcessGroup::Barrier() {
#ifdef VGG2_HAVE_GLOO
  Issue();
  GlooPending(impl_->gloo->barrier(), this, options_.timeout).Wait();
#endif
}

void ProcessGroup::Close() {
#ifdef VGG2_HAVE_GLOO
  if (impl_) {
    impl_->gloo.reset();
    impl_->store.reset();
  }
#endif
}

}  // namespace vgg2::dist

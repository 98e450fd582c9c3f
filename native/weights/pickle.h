#pragma once
// Restricted unpickler for the data.pkl that torch.save writes (pickle protocol
// 2..5), and, with its own hooks, a pickled dict of numpy arrays (numpy_pickle.h).
// It builds plain data only; callables are limited to an allow-list and nothing
// is ever executed.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vgg2 {
namespace pickle {

enum class Kind : uint8_t { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };
const char* KindName(Kind kind);

using Id = uint32_t;  // index of an object in Unpickled

struct Object {
  Kind kind = Kind::None;
  bool ordered = false;   // Dict made by collections.OrderedDict()
  int64_t i = 0;          // Bool, Int
  double f = 0;           // Float
  std::string s;          // Str; Global: "module.name"
  std::vector<Id> items;  // Tuple/List elements; Dict: key0, value0, key1, value1, ...
  at::Tensor tensor;      // Storage (1-D, dtype of the storage) or Tensor; set by Hooks
};

// Object arena. Ids rather than pointers: memo references and self-referencing
// containers need no ownership cycles.
class Unpickled {
 public:
  const Object& operator[](Id id) const { return objects_.at(id); }
  Id root() const { return root_; }

 private:
  friend class Unpickler;
  std::vector<Object> objects_;
  Id root_ = 0;
};

struct Hooks {
  // Which globals may appear (GLOBAL / STACK_GLOBAL); unset: IsAllowedGlobal (a torch state_dict's).
  std::function<bool(const std::string& module, const std::string& name)> allow;
  // BINPERSID: maps a persistent id object to a new object (e.g. a Storage).
  std::function<Object(const Unpickled& objects, Id pid)> persistent_load;
  // REDUCE of an allowed global other than collections.OrderedDict, e.g.
  // "torch._utils._rebuild_tensor_v2"; args is a Tuple.
  std::function<Object(const std::string& global, const Unpickled& objects, Id args)> call;
  // BUILD (__setstate__) of an object a `call` made: returns what the object becomes.
  std::function<Object(const Unpickled& objects, Id target, Id state)> build;
};

// Globals the unpickler accepts (GLOBAL / STACK_GLOBAL); any other is refused.
bool IsAllowedGlobal(const std::string& module, const std::string& name);

// Unpickles data. Throws std::runtime_error ("pickle: ... at byte N") on
// malformed, truncated or disallowed input; exceptions from hooks propagate.
Unpickled Unpickle(const void* data, size_t size, const Hooks& hooks);

}  // namespace pickle
}  // namespace vgg2

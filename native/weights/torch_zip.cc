#include "torch_zip.h"

#include <ATen/core/Dict.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <sys/stat.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>

#include "error_text.h"
#include "pickle.h"
#include "weights/atomic_file.h"
#include "zip_directory.h"

// Storages are wrapped byte for byte; torch.save writes little-endian data.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "big-endian hosts are not supported");

namespace vgg2 {
namespace {

using pickle::Id;
using pickle::Kind;
using pickle::Object;
using pickle::Unpickled;

constexpr size_t kMaxDims = 64;

// c10 messages carry noise such as "[enforce fail at inline_container.cc:148] . "
// and "(Could this error message be improved? ...)"; keep the substance.
std::string CleanC10Message(const std::string& what) {
  std::string s = FirstLine(what);
  if (s.compare(0, 16, "[enforce fail at") == 0) {
    size_t end = s.find("] ");
    if (end != std::string::npos) s.erase(0, end + 2);
    if (s.compare(0, 2, ". ") == 0) s.erase(0, 2);
  }
  size_t noise = s.find("(Could this error message be improved?");
  if (noise != std::string::npos) s.erase(noise);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.find("failed finding central directory") != std::string::npos) s += " (file truncated?)";
  return s.empty() ? "invalid archive" : s;
}

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

at::ScalarType StorageDtype(const std::string& global) {
  static const std::pair<const char*, at::ScalarType> kTypes[] = {
      {"torch.FloatStorage", at::kFloat},       {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong},     {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},       {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool},
  };
  for (const auto& t : kTypes)
    if (global == t.first) return t.second;
  Fail("unsupported storage type '" + global + "'");
}

const Object& Item(const Unpickled& objs, const Object& tuple, size_t k, Kind kind, const char* what) {
  const Object& o = objs[tuple.items[k]];
  if (o.kind != kind)
    Fail(std::string(what) + " has type " + pickle::KindName(o.kind) + ", expected " + pickle::KindName(kind));
  return o;
}

std::vector<int64_t> IntTuple(const Unpickled& objs, const Object& t, const char* what) {
  if (t.kind != Kind::Tuple) Fail(std::string(what) + " is not a tuple");
  if (t.items.size() > kMaxDims) Fail(std::string(what) + " has too many dimensions");
  std::vector<int64_t> out;
  for (Id id : t.items) {
    if (objs[id].kind != Kind::Int) Fail(std::string(what) + " holds a non-integer");
    out.push_back(objs[id].i);
  }
  return out;
}

class StateDictLoader {
 public:
  explicit StateDictLoader(caffe2::serialize::PyTorchStreamReader* reader) : reader_(reader) {}

  // ('storage', torch.XStorage, key, location, numel) -> Storage (1-D tensor).
  Object PersistentLoad(const Unpickled& objs, Id pid_id) {
    const Object& pid = objs[pid_id];
    if (pid.kind != Kind::Tuple || pid.items.size() != 5 || objs[pid.items[0]].kind != Kind::Str ||
        objs[pid.items[0]].s != "storage")
      Fail("unsupported persistent id (expected ('storage', type, key, location, numel))");
    const at::ScalarType dtype = StorageDtype(Item(objs, pid, 1, Kind::Global, "storage type").s);
    const std::string& key = Item(objs, pid, 2, Kind::Str, "storage key").s;
    Item(objs, pid, 3, Kind::Str, "storage location");  // e.g. "cuda:0": loaded to CPU anyway
    const int64_t numel = Item(objs, pid, 4, Kind::Int, "storage size").i;
    // torch writes decimal keys; anything odd could address other records.
    if (key.empty() || key.size() > 64 ||
        key.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos)
      Fail("invalid storage key (expected letters, digits or '_')");
    const size_t elem = c10::elementSize(dtype);
    if (numel < 0 || static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / elem)
      Fail("invalid size for storage '" + key + "'");

    Object out;
    out.kind = Kind::Storage;
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      if (cached->second.scalar_type() != dtype || cached->second.numel() != numel)
        Fail("storage '" + key + "' is referenced with conflicting types or sizes");
      out.tensor = cached->second;
      return out;
    }
    const std::string record = "data/" + key;
    if (!reader_->hasRecord(record)) Fail("missing storage record '" + record + "'");
    auto rec = reader_->getRecord(record);
    const size_t nbytes = std::get<1>(rec);
    if (nbytes != static_cast<uint64_t>(numel) * elem)
      Fail("storage record '" + record + "' has " + std::to_string(nbytes) + " bytes, expected " +
           std::to_string(static_cast<uint64_t>(numel) * elem));
    const auto options = at::TensorOptions().dtype(dtype);
    if (numel == 0) {
      out.tensor = at::empty({0}, options);
    } else {
      // Zero-copy: the tensor keeps the record's buffer (c10 CPU allocator, aligned) alive.
      auto holder = std::make_shared<at::DataPtr>(std::move(std::get<0>(rec)));
      out.tensor = at::from_blob(
          holder->get(), {numel}, [holder](void*) {}, options);
    }
    if (dtype == at::kBool) {  // other byte values are undefined behaviour for bool tensors
      const auto* b = static_cast<const uint8_t*>(out.tensor.data_ptr());
      for (int64_t k = 0; k < numel; ++k)
        if (b[k] > 1) Fail("bool storage '" + key + "' holds a byte other than 0/1");
    }
    storages_.emplace(key, out.tensor);
    return out;
  }

  Object Call(const std::string& name, const Unpickled& objs, Id args_id) {
    const Object& args = objs[args_id];
    Object out;
    out.kind = Kind::Tensor;
    if (name == "torch._utils._rebuild_parameter") {
      // (data, requires_grad, backward_hooks): only state_dict(keep_vars=True) has these.
      if (args.items.size() != 3) Fail("_rebuild_parameter expects 3 arguments");
      out.tensor = Item(objs, args, 0, Kind::Tensor, "parameter data").tensor;
      return out;
    }
    if (name != "torch._utils._rebuild_tensor_v2") Fail("cannot call '" + name + "'");
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (args.items.size() != 6 && args.items.size() != 7)
      Fail("_rebuild_tensor_v2 expects 6 or 7 arguments, got " + std::to_string(args.items.size()));
    const at::Tensor& storage = Item(objs, args, 0, Kind::Storage, "tensor storage").tensor;
    const int64_t offset = Item(objs, args, 1, Kind::Int, "storage offset").i;
    const std::vector<int64_t> size = IntTuple(objs, objs[args.items[2]], "tensor size");
    const std::vector<int64_t> stride = IntTuple(objs, objs[args.items[3]], "tensor stride");
    Item(objs, args, 4, Kind::Bool, "requires_grad");
    Item(objs, args, 5, Kind::Dict, "backward_hooks");
    if (size.size() != stride.size()) Fail("tensor size and stride differ in length");

    // The view must lie inside its storage: offset + sum((size-1)*stride) < numel.
    const int64_t numel = storage.numel();
    if (offset < 0 || offset > numel) Fail("storage offset out of range");
    bool empty = false;
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] < 0 || stride[d] < 0) Fail("negative tensor size or stride");
      if (size[d] == 0) empty = true;
    }
    if (!empty) {
      int64_t last = offset;
      for (size_t d = 0; d < size.size(); ++d) {
        int64_t step;
        if (__builtin_mul_overflow(size[d] - 1, stride[d], &step) || __builtin_add_overflow(last, step, &last))
          Fail("tensor view overflows");
      }
      if (last >= numel)
        Fail("tensor view (offset " + std::to_string(offset) + ", last element " + std::to_string(last) +
             ") exceeds its storage of " + std::to_string(numel) + " elements");
      // More elements than its storage holds: stride-0 or overlapping views, which weights never
      // are; loading would materialise the whole view (a 1-element storage can claim gigabytes).
      int64_t count = 1;
      for (int64_t s : size)
        if (__builtin_mul_overflow(count, s, &count) || count > numel)
          Fail("tensor of shape " + c10::str(at::IntArrayRef(size)) + " views a storage of only " +
               std::to_string(numel) + " elements (stride 0 or overlapping): not a weights tensor");
    }
    out.tensor = storage.as_strided(size, stride, offset);
    return out;
  }

 private:
  caffe2::serialize::PyTorchStreamReader* reader_;
  std::map<std::string, at::Tensor> storages_;
};

void CheckFileKind(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) Fail(std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) Fail("not a regular file");
  if (st.st_size == 0) Fail("file is empty");
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 4);
  if (magic[0] == 'P' && magic[1] == 'K') return;
  if (magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5)
    Fail(
        "legacy (non-zip) torch.save format is not supported; re-save it with "
        "torch.save(state_dict, f) from PyTorch >= 1.6 (zip format, the default)");
  Fail("not a zip archive (expected a file written by torch.save)");
}

// miniz allocates each record's declared uncompressed size before inflating it: refuse declared
// sizes the file cannot hold (torch.save stores records uncompressed) before any record is read.
void CheckDeclaredSizes(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return;
  const auto file_size = static_cast<uint64_t>(st.st_size);
  std::vector<ZipEntrySize> entries;
  if (!ReadZipEntrySizes(path, file_size, entries)) return;  // miniz says what is wrong
  uint64_t total = 0;
  for (const auto& e : entries) {
    if (e.uncompressed > file_size || (total += e.uncompressed) > file_size)
      Fail("zip record '" + e.name + "' declares " + std::to_string(e.uncompressed) +
           " bytes uncompressed, more than the records of a " + std::to_string(file_size) +
           "-byte file can hold (torch.save stores them uncompressed): corrupt or a zip bomb");
  }
}

TensorList Read(const std::string& path) {
  CheckFileKind(path);
  CheckDeclaredSizes(path);
  caffe2::serialize::PyTorchStreamReader reader(path);
  if (reader.hasRecord("constants.pkl"))
    Fail("this is a TorchScript archive (torch.jit.save), not a torch.save'd state_dict");
  if (reader.hasRecord("byteorder")) {
    auto rec = reader.getRecord("byteorder");
    std::string order(static_cast<const char*>(std::get<0>(rec).get()), std::get<1>(rec));
    if (order != "little") Fail("unsupported byte order '" + order + "'");
  }
  if (!reader.hasRecord("data.pkl")) Fail("archive has no data.pkl record");
  auto pkl = reader.getRecord("data.pkl");

  StateDictLoader loader(&reader);
  pickle::Hooks hooks;
  hooks.persistent_load = [&](const Unpickled& objs, Id pid) { return loader.PersistentLoad(objs, pid); };
  hooks.call = [&](const std::string& name, const Unpickled& objs, Id args) { return loader.Call(name, objs, args); };
  const Unpickled objs = pickle::Unpickle(std::get<0>(pkl).get(), std::get<1>(pkl), hooks);

  const Object& root = objs[objs.root()];
  if (root.kind != Kind::Dict)
    Fail(std::string("not a state_dict: the saved object has type ") + pickle::KindName(root.kind) +
         ", expected a dict of str -> tensor");
  TensorList out;
  out.reserve(root.items.size() / 2);
  for (size_t k = 0; k < root.items.size(); k += 2) {
    const Object& key = objs[root.items[k]];
    const Object& value = objs[root.items[k + 1]];
    if (key.kind != Kind::Str)
      Fail(std::string("not a state_dict: it has a key of type ") + pickle::KindName(key.kind));
    if (value.kind != Kind::Tensor)
      Fail("not a state_dict: '" + key.s + "' is not a tensor (found " + pickle::KindName(value.kind) + ")");
    out.emplace_back(key.s, value.tensor);
  }
  return out;
}

}  // namespace

TensorList ReadTorchStateDict(const std::string& path) {
  const std::string prefix = path + ": cannot load torch state_dict: ";
  try {
    return Read(path);
  } catch (const c10::Error& e) {  // zip reader and ATen errors
    throw std::runtime_error(prefix + CleanC10Message(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(prefix + "out of memory (corrupt sizes?)");
  } catch (const std::exception& e) {  // ours, and e.g. std::stoull on a bad version record
    throw std::runtime_error(prefix + FirstLine(e));
  }
}

void WriteTorchStateDict(const std::string& path, const TensorList& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.detach().to(at::kCPU).contiguous());
  std::vector<char> bytes;
  try {
    bytes = torch::jit::pickle_save(c10::IValue(dict));
    WriteFileAtomically(path, [&](const Append& append) { append(bytes.data(), bytes.size()); });
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot write torch state_dict: " + CleanC10Message(e.what_without_backtrace()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": cannot write torch state_dict: " + e.what());
  }
}

}  // namespace vgg2

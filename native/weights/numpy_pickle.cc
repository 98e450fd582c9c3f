#include "weights/numpy_pickle.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "weights/pickle.h"

namespace vgg2 {

namespace {
using pickle::Id;
using pickle::Kind;
using pickle::Object;
using pickle::Unpickled;

constexpr const char* kArray = "numpy.ndarray (being built)";
constexpr const char* kDtype = "numpy.dtype:";

bool Allowed(const std::string& module, const std::string& name) {
  if (module == "numpy.core.multiarray" || module == "numpy._core.multiarray") return name == "_reconstruct";
  if (module == "numpy") return name == "ndarray" || name == "dtype";
  if (module == "_codecs") return name == "encode";
  return module == "collections" && name == "OrderedDict";
}

const Object& Arg(const Unpickled& objs, Id tuple, size_t i, Kind kind, const char* what) {
  const auto& items = objs[tuple].items;
  if (objs[tuple].kind != Kind::Tuple || i >= items.size() || objs[items[i]].kind != kind) {
    throw std::runtime_error(std::string("unexpected ") + what + " in a numpy array's pickle");
  }
  return objs[items[i]];
}

// Python 3 writes protocol-2 bytes as _codecs.encode(str, 'latin1'): the str is UTF-8 here.
std::string Latin1(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size() && c <= 0xc3) {
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3f)));
    } else {
      throw std::runtime_error("_codecs.encode of text outside latin-1");
    }
  }
  return out;
}

Object Call(const std::string& global, const Unpickled& objs, Id args) {
  Object out;
  if (global.size() > 13 && global.compare(global.size() - 13, 13, "._reconstruct") == 0) {
    out.kind = Kind::Global;
    out.s = kArray;
  } else if (global == "numpy.dtype") {
    out.kind = Kind::Global;
    out.s = kDtype + Arg(objs, args, 0, Kind::Str, "dtype code").s;
  } else if (global == "_codecs.encode") {
    out.kind = Kind::Str;
    out.s = Latin1(Arg(objs, args, 0, Kind::Str, "encoded text").s);
  } else {
    throw std::runtime_error("cannot call '" + global + "'");
  }
  return out;
}

at::ScalarType DtypeOf(const std::string& code) {
  static const std::pair<const char*, at::ScalarType> kCodes[] = {
      {"f4", at::kFloat}, {"f8", at::kDouble}, {"f2", at::kHalf}, {"i8", at::kLong}, {"i4", at::kInt},
      {"i2", at::kShort}, {"i1", at::kChar},   {"u1", at::kByte}, {"b1", at::kBool}};
  for (const auto& [name, type] : kCodes)
    if (code == name) return type;
  throw std::runtime_error("numpy dtype '" + code + "' is not supported (floats, ints, bool)");
}

Object Build(const Unpickled& objs, Id target, Id state) {
  const Object& t = objs[target];
  if (t.kind == Kind::Global && t.s.rfind(kDtype, 0) == 0) {
    // (version, byte order, ...): '<' little, '|' not applicable, '=' native; '>' is refused.
    const auto& order = Arg(objs, state, 1, Kind::Str, "dtype byte order").s;
    if (order == ">") throw std::runtime_error("big-endian numpy arrays are not supported");
    return t;
  }
  if (t.kind != Kind::Global || t.s != kArray) throw std::runtime_error("BUILD of an unexpected object");
  // (version, shape, dtype, is_fortran, raw bytes)
  const auto& shape_obj = Arg(objs, state, 1, Kind::Tuple, "array shape");
  const auto& dtype = Arg(objs, state, 2, Kind::Global, "array dtype");
  const bool fortran = Arg(objs, state, 3, Kind::Bool, "array order").i != 0;
  const auto& raw = Arg(objs, state, 4, Kind::Str, "array data").s;
  if (dtype.s.rfind(kDtype, 0) != 0) throw std::runtime_error("an array's dtype is not a numpy.dtype");
  std::vector<int64_t> shape;
  for (Id d : shape_obj.items) {
    if (objs[d].kind != Kind::Int || objs[d].i < 0) throw std::runtime_error("an array dimension is not a size");
    shape.push_back(objs[d].i);
  }
  const auto type = DtypeOf(dtype.s.substr(std::strlen(kDtype)));
  int64_t numel = 1;
  for (auto d : shape) {
    if (d > 0 && numel > (int64_t{1} << 40) / d) throw std::runtime_error("an array declares too many elements");
    numel *= d;
  }
  if (static_cast<uint64_t>(numel) * c10::elementSize(type) != raw.size()) {
    throw std::runtime_error("an array of shape " + c10::str(at::IntArrayRef(shape)) + " has " +
                             std::to_string(raw.size()) + " bytes of data, expected " +
                             std::to_string(numel * c10::elementSize(type)));
  }
  std::vector<int64_t> dims = shape;
  if (fortran) std::reverse(dims.begin(), dims.end());
  auto tensor = at::empty(dims, at::TensorOptions().dtype(type));
  if (!raw.empty()) std::memcpy(tensor.data_ptr(), raw.data(), raw.size());
  if (fortran) {
    std::vector<int64_t> perm(dims.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    tensor = tensor.permute(perm).contiguous();
  }
  Object out;
  out.kind = Kind::Tensor;
  out.tensor = tensor;
  return out;
}

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("'" + path + "': " + what);
}
}  // namespace

bool LooksLikePickle(const unsigned char* head, size_t n) {
  return n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5;
}

TensorList ReadNumpyPickle(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) Fail(path, std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) Fail(path, "not a regular file");
  std::vector<char> data(static_cast<size_t>(st.st_size));
  std::ifstream in(path, std::ios::binary);
  if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) Fail(path, "cannot read the file");
  pickle::Hooks hooks;
  hooks.allow = Allowed;
  hooks.call = Call;
  hooks.build = Build;
  Unpickled objs;
  try {
    objs = pickle::Unpickle(data.data(), data.size(), hooks);
  } catch (const std::runtime_error& e) {
    Fail(path, std::string("not a pickled dict of numpy arrays: ") + e.what());
  }
  const Object& root = objs[objs.root()];
  if (root.kind == Kind::Int) {
    Fail(path, "a legacy (non-zip) torch.save file; re-save it with torch.save(state_dict, f) from PyTorch >= 1.6");
  }
  if (root.kind != Kind::Dict)
    Fail(path, std::string("a pickled ") + pickle::KindName(root.kind) + ", not a dict of arrays");
  TensorList out;
  for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
    const Object& key = objs[root.items[i]];
    const Object& value = objs[root.items[i + 1]];
    if (key.kind != Kind::Str) Fail(path, "a key that is not a name");
    if (value.kind != Kind::Tensor)
      Fail(path, "'" + key.s + "' is a " + pickle::KindName(value.kind) + ", not an array");
    out.emplace_back(key.s, value.tensor);
  }
  return out;
}

}  // namespace vgg2

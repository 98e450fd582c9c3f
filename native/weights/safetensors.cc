#include "safetensors.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "error_text.h"
#include "weights/atomic_file.h"

// The format is little-endian; tensors are copied byte for byte.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "big-endian hosts are not supported");

namespace vgg2 {
namespace {

// Same cap as the reference (Rust) implementation; guards huge allocations.
constexpr uint64_t kMaxHeaderBytes = 100000000;
constexpr size_t kMaxDims = 64;
constexpr int kMaxJsonDepth = 64;

// Document order: tensors are listed in the order the header names them.
using Json = nlohmann::ordered_json;

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
  size_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", at::kFloat, 4}, {"F64", at::kDouble, 8}, {"F16", at::kHalf, 2},  {"BF16", at::kBFloat16, 2},
    {"I64", at::kLong, 8},  {"I32", at::kInt, 4},    {"I16", at::kShort, 2}, {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},   {"BOOL", at::kBool, 1},
};

const DtypeInfo* DtypeByName(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DtypeInfo* DtypeByType(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (t == d.type) return &d;
  return nullptr;
}

[[noreturn]] void Bad(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": invalid safetensors file: " + what);
}

std::string Quote(const std::string& name) { return "'" + name + "'"; }

// The header as JSON. nlohmann would keep the last of two equal keys; a header naming a tensor twice
// is ambiguous, so it is refused (as the reference implementation does).
Json ParseHeader(const std::string& path, const std::string& header) {
  std::vector<std::set<std::string>> keys;  // one set per object being parsed
  auto check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxJsonDepth) Bad(path, "header: nesting deeper than " + std::to_string(kMaxJsonDepth));
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second)
      Bad(path, "header: duplicate key \"" + parsed.get<std::string>() + "\"");
    return true;
  };
  try {
    return Json::parse(header, check);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
    const size_t tag = what.find("] ");
    Bad(path, "header: " + (tag == std::string::npos ? what : what.substr(tag + 2)));
  }
}

// A plain non-negative integer literal that fits uint64 (no sign, fraction or exponent).
bool ToUint64(const Json& v, uint64_t* out) {
  if (!v.is_number_unsigned()) return false;
  *out = v.get<uint64_t>();
  return true;
}

// nlohmann refuses to write invalid UTF-8; asked first, so the message names the string.
bool IsValidUtf8(const std::string& s) {
  try {
    (void)Json(s).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
  size_t index;  // position in the header
};

Entry ParseEntry(const std::string& path, const std::string& name, const Json& v, size_t index) {
  const std::string where = "tensor " + Quote(name);
  if (!v.is_object()) Bad(path, where + " is not a JSON object");
  Entry e{name, nullptr, {}, 0, 0, index};
  const Json* dtype = nullptr;
  const Json* shape = nullptr;
  const Json* offsets = nullptr;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "dtype")
      dtype = &it.value();
    else if (it.key() == "shape")
      shape = &it.value();
    else if (it.key() == "data_offsets")
      offsets = &it.value();
    else
      Bad(path, where + " has unknown field \"" + it.key() + "\"");
  }
  if (!dtype || !shape || !offsets) Bad(path, where + " needs \"dtype\", \"shape\" and \"data_offsets\"");
  if (!dtype->is_string()) Bad(path, where + ": dtype is not a string");
  const auto& dtype_name = dtype->get_ref<const std::string&>();
  e.dtype = DtypeByName(dtype_name);
  if (!e.dtype) Bad(path, where + ": unsupported dtype \"" + dtype_name + "\"");

  if (!shape->is_array()) Bad(path, where + ": shape is not an array");
  if (shape->size() > kMaxDims) Bad(path, where + ": too many dimensions");
  for (const auto& d : *shape) {
    uint64_t n;
    if (!ToUint64(d, &n) || n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      Bad(path, where + ": shape entries must be non-negative integers");
    e.shape.push_back(static_cast<int64_t>(n));
  }
  // numel (overflow-checked unless a zero dimension makes it 0)
  uint64_t numel = 1;
  bool overflow = false;
  if (std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end()) {
    numel = 0;
  } else {
    for (int64_t n : e.shape) overflow = overflow || __builtin_mul_overflow(numel, static_cast<uint64_t>(n), &numel);
  }
  uint64_t nbytes = 0;
  overflow = overflow || __builtin_mul_overflow(numel, uint64_t{e.dtype->bytes}, &nbytes);
  if (!offsets->is_array() || offsets->size() != 2 || !ToUint64((*offsets)[0], &e.begin) ||
      !ToUint64((*offsets)[1], &e.end))
    Bad(path, where + ": data_offsets must be [begin, end] non-negative integers");
  if (e.begin > e.end) Bad(path, where + ": data_offsets begin > end");
  if (overflow || nbytes != e.end - e.begin)
    Bad(path, where + ": data_offsets span " + std::to_string(e.end - e.begin) + " bytes, but dtype and shape need " +
                  (overflow ? std::string("more than 2^64") : std::to_string(nbytes)));
  return e;
}

}  // namespace

WeightsFile ReadSafetensors(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error(path + ": cannot open safetensors file: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open safetensors file: " + std::strerror(errno));
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  if (file_size < 8) Bad(path, "file is " + std::to_string(file_size) + " bytes, too short");
  unsigned char prefix[8];
  if (!in.read(reinterpret_cast<char*>(prefix), 8)) Bad(path, "cannot read header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | prefix[i];
  if (header_len > file_size - 8)
    Bad(path, "header length " + std::to_string(header_len) + " exceeds the file size " + std::to_string(file_size));
  if (header_len > kMaxHeaderBytes)
    Bad(path, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                  std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len < 2) Bad(path, "header is too short");
  std::string header(static_cast<size_t>(header_len), '\0');
  if (!in.read(&header[0], static_cast<std::streamsize>(header_len)))
    Bad(path, "cannot read the header (file truncated?)");
  if (header[0] != '{') Bad(path, "header does not start with '{'");

  const Json root = ParseHeader(path, header);
  if (!root.is_object()) Bad(path, "header is not a JSON object");

  WeightsFile out;
  std::vector<Entry> entries;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) Bad(path, "__metadata__ is not a JSON object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          Bad(path, "__metadata__ value for " + Quote(m.key()) + " is a " + m.value().type_name() + ", not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    entries.push_back(ParseEntry(path, it.key(), it.value(), entries.size()));
  }

  // The tensors must tile the data buffer exactly: no holes, no overlap.
  const uint64_t buffer_size = file_size - 8 - header_len;
  std::vector<Entry*> by_offset;
  for (auto& e : entries) {
    if (e.end > buffer_size)
      Bad(path, "tensor " + Quote(e.name) + " ends at byte " + std::to_string(e.end) + " beyond the data buffer (" +
                    std::to_string(buffer_size) + " bytes)");
    by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : by_offset) {
    if (e->begin < expected) Bad(path, "tensor " + Quote(e->name) + " overlaps tensor " + Quote(prev->name));
    if (e->begin > expected)
      Bad(path, "hole in the data buffer before tensor " + Quote(e->name) + " (bytes " + std::to_string(expected) +
                    ".." + std::to_string(e->begin) + ")");
    expected = e->end;
    prev = e;
  }
  if (expected != buffer_size)
    Bad(path,
        std::to_string(buffer_size - expected) + " trailing bytes in the data buffer are not covered by any tensor");

  // Read in file order straight into freshly allocated tensors.
  std::vector<at::Tensor> tensors(entries.size());
  const uint64_t data_start = 8 + header_len;
  for (const Entry* e : by_offset) {
    at::Tensor t;
    try {
      t = at::empty(e->shape, at::TensorOptions().dtype(e->dtype->type));
    } catch (const c10::Error& err) {  // e.g. out of memory
      Bad(path, "tensor " + Quote(e->name) + ": " + FirstLine(err));
    }
    const uint64_t nbytes = e->end - e->begin;
    if (nbytes > 0) {
      in.seekg(static_cast<std::streamoff>(data_start + e->begin));
      if (!in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(nbytes)))
        Bad(path, "cannot read the data of tensor " + Quote(e->name) + " (file truncated?)");
    }
    if (e->dtype->type == at::kBool) {
      const auto* b = static_cast<const unsigned char*>(t.data_ptr());
      for (uint64_t i = 0; i < nbytes; ++i)
        if (b[i] > 1) Bad(path, "BOOL tensor " + Quote(e->name) + " holds a byte other than 0/1");
    }
    tensors[e->index] = std::move(t);
  }
  out.tensors.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) out.tensors.emplace_back(entries[i].name, std::move(tensors[i]));
  return out;
}

void WriteSafetensors(const std::string& path, const TensorList& tensors, const Metadata& metadata) {
  auto fail = [&](const std::string& what) -> void {
    throw std::runtime_error(path + ": cannot write safetensors file: " + what);
  };

  // Build the header and the contiguous CPU tensors first: nothing touches disk
  // until the input is known to be valid.
  Json header = Json::object();
  for (const auto& kv : metadata) {
    if (!IsValidUtf8(kv.first) || !IsValidUtf8(kv.second))
      fail("metadata entry " + Quote(kv.first) + " is not valid UTF-8");
    header["__metadata__"][kv.first] = kv.second;
  }
  std::vector<at::Tensor> data;
  data.reserve(tensors.size());
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& nt : tensors) {
    const std::string& name = nt.first;
    if (name == "__metadata__") fail("tensor name '__metadata__' is reserved");
    if (!IsValidUtf8(name)) fail("tensor name " + Quote(name) + " is not valid UTF-8");
    if (!names.insert(name).second) fail("duplicate tensor name " + Quote(name));
    const at::Tensor& src = nt.second;
    if (!src.defined()) fail("tensor " + Quote(name) + " is undefined");
    if (src.layout() != at::kStrided) fail("tensor " + Quote(name) + " is not a dense tensor");
    const DtypeInfo* dt = DtypeByType(src.scalar_type());
    if (!dt) fail("tensor " + Quote(name) + " has unsupported dtype " + std::string(c10::toString(src.scalar_type())));
    at::Tensor t;
    try {
      t = src.detach().to(at::kCPU).resolve_conj().resolve_neg().contiguous();
    } catch (const c10::Error& e) {
      fail("tensor " + Quote(name) + ": " + FirstLine(e));
    }
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * dt->bytes;
    header[name] = {{"dtype", dt->name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(std::move(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(text.size() >> (8 * i));

  try {
    WriteFileAtomically(path, [&](const Append& append) {
      append(reinterpret_cast<const char*>(prefix), 8);
      append(text.data(), text.size());
      for (const auto& t : data) append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    });
  } catch (const std::runtime_error& e) {
    fail(e.what());
  }
}

}  // namespace vgg2

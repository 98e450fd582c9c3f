#include "pickle.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace vgg2 {
namespace pickle {
namespace {

// Far above what any state_dict needs; bounds memory on hostile input.
constexpr size_t kMaxObjects = size_t{1} << 22;
constexpr size_t kMaxStack = size_t{1} << 20;
constexpr size_t kMaxMarks = size_t{1} << 16;
constexpr size_t kMaxGlobalName = 1024;

const char* const kStorageTypes[] = {"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
                                     "IntStorage",   "ShortStorage",  "CharStorage", "ByteStorage",     "BoolStorage"};

enum Op : uint8_t {
  MARK = '(',
  STOP = '.',
  POP = '0',
  POP_MARK = '1',
  DUP = '2',
  BINFLOAT = 'G',
  BININT = 'J',
  BININT1 = 'K',
  BININT2 = 'M',
  NONE = 'N',
  BINPERSID = 'Q',
  REDUCE = 'R',
  BINUNICODE = 'X',
  BINBYTES = 'B',
  SHORT_BINBYTES = 'C',
  BINSTRING = 'T',
  SHORT_BINSTRING = 'U',
  BINBYTES8 = 0x8e,
  APPEND = 'a',
  BUILD = 'b',
  GLOBAL = 'c',
  DICT = 'd',
  APPENDS = 'e',
  BINGET = 'h',
  LONG_BINGET = 'j',
  LIST = 'l',
  BINPUT = 'q',
  LONG_BINPUT = 'r',
  SETITEM = 's',
  TUPLE = 't',
  SETITEMS = 'u',
  EMPTY_DICT = '}',
  EMPTY_LIST = ']',
  EMPTY_TUPLE = ')',
  PROTO = 0x80,
  TUPLE1 = 0x85,
  TUPLE2 = 0x86,
  TUPLE3 = 0x87,
  NEWTRUE = 0x88,
  NEWFALSE = 0x89,
  LONG1 = 0x8a,
  SHORT_BINUNICODE = 0x8c,
  BINUNICODE8 = 0x8d,
  STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94,
  FRAME = 0x95,
};

// Printable form of untrusted text for error messages.
std::string Printable(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t k = 0; k < s.size() && k < 200; ++k) {
    unsigned char c = static_cast<unsigned char>(s[k]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::Str:
      return "str";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global";
    case Kind::Storage:
      return "storage";
    case Kind::Tensor:
      return "tensor";
  }
  return "?";
}

bool IsAllowedGlobal(const std::string& module, const std::string& name) {
  if (module == "collections") return name == "OrderedDict";
  if (module == "torch._utils") return name == "_rebuild_tensor_v2" || name == "_rebuild_parameter";
  if (module == "torch") {
    for (const char* s : kStorageTypes)
      if (name == s) return true;
  }
  return false;
}

class Unpickler {
 public:
  Unpickler(const void* data, size_t size, const Hooks& hooks)
      : p_(static_cast<const uint8_t*>(data)), size_(size), hooks_(hooks) {}

  Unpickled Run() {
    for (;;) {
      op_pos_ = pos_;
      const uint8_t op = Byte();
      switch (op) {
        case PROTO: {
          uint8_t v = Byte();
          if (v < 2 || v > 5) Fail("unsupported pickle protocol " + std::to_string(v));
          break;
        }
        case FRAME: {
          uint64_t n = Uint(8);
          if (n > size_ - pos_) Fail("frame length exceeds the data");
          break;
        }
        case STOP:
          out_.root_ = Pop();
          return std::move(out_);
        case MARK:
          if (marks_.size() >= kMaxMarks) Fail("too many nested MARKs");
          marks_.push_back(stack_.size());
          break;
        case POP:
          Pop();
          break;
        case POP_MARK:
          PopMark();
          break;
        case DUP:
          Push(Top());
          break;
        case NONE:
          Push(New(Kind::None));
          break;
        case NEWTRUE:
          PushInt(Kind::Bool, 1);
          break;
        case NEWFALSE:
          PushInt(Kind::Bool, 0);
          break;
        case BININT:
          PushInt(Kind::Int, static_cast<int32_t>(Uint(4)));
          break;
        case BININT1:
          PushInt(Kind::Int, Uint(1));
          break;
        case BININT2:
          PushInt(Kind::Int, Uint(2));
          break;
        case LONG1: {
          size_t n = Uint(1);
          if (n > 8) Fail("integer wider than 64 bits");
          Need(n);
          uint64_t v = 0;
          for (size_t k = 0; k < n; ++k) v |= uint64_t{p_[pos_ + k]} << (8 * k);
          if (n > 0 && n < 8 && (p_[pos_ + n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign
          pos_ += n;
          PushInt(Kind::Int, static_cast<int64_t>(v));
          break;
        }
        case BINFLOAT: {
          uint64_t bits = 0;
          Need(8);
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | p_[pos_ + k];  // big-endian
          pos_ += 8;
          Id id = New(Kind::Float);
          std::memcpy(&out_.objects_[id].f, &bits, 8);
          Push(id);
          break;
        }
        case SHORT_BINUNICODE:
        case SHORT_BINSTRING:  // Python 2 str: bytes (numpy's raw data in Python 2 pickles)
        case SHORT_BINBYTES:
          PushStr(Uint(1));
          break;
        case BINSTRING:
        case BINBYTES:
          PushStr(Uint(4));
          break;
        case BINBYTES8:
          PushStr(Uint(8));
          break;
        case BINUNICODE:
          PushStr(Uint(4));
          break;
        case BINUNICODE8:
          PushStr(Uint(8));
          break;
        case EMPTY_DICT:
          Push(New(Kind::Dict));
          break;
        case EMPTY_LIST:
          Push(New(Kind::List));
          break;
        case EMPTY_TUPLE:
          Push(New(Kind::Tuple));
          break;
        case DICT: {
          std::vector<Id> items = PopMark();
          if (items.size() % 2) Fail("odd number of items for DICT");
          Id d = New(Kind::Dict);
          for (size_t k = 0; k < items.size(); k += 2) SetItem(d, items[k], items[k + 1]);
          Push(d);
          break;
        }
        case LIST: {
          std::vector<Id> items = PopMark();
          Id l = New(Kind::List);
          out_.objects_[l].items = std::move(items);
          Push(l);
          break;
        }
        case TUPLE:
          PushTuple(PopMark());
          break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
          size_t n = op - TUPLE1 + 1;
          std::vector<Id> items(n);
          for (size_t k = n; k-- > 0;) items[k] = Pop();
          PushTuple(std::move(items));
          break;
        }
        case BINPUT:
          Memo(Uint(1)) = Top();
          break;
        case LONG_BINPUT:
          Memo(Uint(4)) = Top();
          break;
        case MEMOIZE: {
          Id top = Top();
          Memo(memo_.size()) = top;
          break;
        }
        case BINGET:
          Push(Get(Uint(1)));
          break;
        case LONG_BINGET:
          Push(Get(Uint(4)));
          break;
        case SETITEM: {
          Id value = Pop();
          Id key = Pop();
          SetItem(Top(), key, value);
          break;
        }
        case SETITEMS: {
          std::vector<Id> items = PopMark();
          if (items.size() % 2) Fail("odd number of items for SETITEMS");
          Id d = Top();
          for (size_t k = 0; k < items.size(); k += 2) SetItem(d, items[k], items[k + 1]);
          break;
        }
        case APPEND: {
          Id value = Pop();
          ListOf(Top()).push_back(value);
          break;
        }
        case APPENDS: {
          std::vector<Id> items = PopMark();
          auto& list = ListOf(Top());
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case GLOBAL: {
          std::string module = Line();
          std::string name = Line();
          PushGlobal(module, name);
          break;
        }
        case STACK_GLOBAL: {
          Id name = Pop();
          Id module = Pop();
          if (Obj(name).kind != Kind::Str || Obj(module).kind != Kind::Str) Fail("STACK_GLOBAL needs two strings");
          PushGlobal(Obj(module).s, Obj(name).s);
          break;
        }
        case REDUCE:
          Reduce();
          break;
        case BUILD: {
          Id state = Pop();
          const Object& target = Obj(Top());
          if (hooks_.build && !(target.kind == Kind::Dict && target.ordered)) {
            Object built = hooks_.build(out_, Top(), state);
            out_.objects_[Top()] = std::move(built);  // in place: memo references see the result
            break;
          }
          // OrderedDict state is its instance __dict__ (state_dict._metadata): ignored.
          if (target.kind != Kind::Dict || !target.ordered || Obj(state).kind != Kind::Dict)
            Fail("BUILD is only supported for an OrderedDict with a dict state");
          break;
        }
        case BINPERSID: {
          Id pid = Pop();
          if (!hooks_.persistent_load) Fail("persistent ids are not supported here");
          Push(Add(hooks_.persistent_load(out_, pid)));
          break;
        }
        default: {
          static const char kHex[] = "0123456789abcdef";
          Fail(std::string("unsupported pickle opcode 0x") + kHex[op >> 4] + kHex[op & 15]);
        }
      }
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw std::runtime_error("pickle: " + what + " at byte " + std::to_string(op_pos_));
  }

  void Need(uint64_t n) const {
    if (n > size_ - pos_) Fail("data truncated");
  }
  uint8_t Byte() {
    if (pos_ >= size_) Fail("data truncated (no STOP opcode)");
    return p_[pos_++];
  }
  uint64_t Uint(size_t n) {  // little-endian
    Need(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t{p_[pos_ + k]} << (8 * k);
    pos_ += n;
    return v;
  }
  std::string Line() {
    const void* nl = std::memchr(p_ + pos_, '\n', std::min(size_ - pos_, kMaxGlobalName + 1));
    if (!nl) Fail("GLOBAL name truncated or too long");
    size_t n = static_cast<const uint8_t*>(nl) - (p_ + pos_);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n + 1;
    return s;
  }

  const Object& Obj(Id id) const { return out_.objects_[id]; }

  Id New(Kind kind) {
    Object o;
    o.kind = kind;
    return Add(std::move(o));
  }
  Id Add(Object o) {
    if (out_.objects_.size() >= kMaxObjects) Fail("too many objects");
    out_.objects_.push_back(std::move(o));
    return static_cast<Id>(out_.objects_.size() - 1);
  }

  size_t Floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void Push(Id id) {
    if (stack_.size() >= kMaxStack) Fail("stack too deep");
    stack_.push_back(id);
  }
  Id Pop() {
    if (stack_.size() <= Floor()) Fail("stack underflow");
    Id id = stack_.back();
    stack_.pop_back();
    return id;
  }
  Id Top() const {
    if (stack_.size() <= Floor()) Fail("stack underflow");
    return stack_.back();
  }
  std::vector<Id> PopMark() {
    if (marks_.empty()) Fail("MARK expected");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Id> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  void PushInt(Kind kind, int64_t v) {
    Id id = New(kind);
    out_.objects_[id].i = v;
    Push(id);
  }
  void PushStr(uint64_t n) {
    Need(n);
    Id id = New(Kind::Str);
    out_.objects_[id].s.assign(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    Push(id);
  }
  void PushTuple(std::vector<Id> items) {
    Id id = New(Kind::Tuple);
    out_.objects_[id].items = std::move(items);
    Push(id);
  }
  // By value: callers pass strings from objects_, which New() may reallocate.
  void PushGlobal(std::string module, std::string name) {
    std::string qualified = module + "." + name;
    if (!(hooks_.allow ? hooks_.allow(module, name) : IsAllowedGlobal(module, name)))
      Fail("refuses global '" + Printable(qualified) + "' (only state_dict tensor types are allowed)");
    Id id = New(Kind::Global);
    out_.objects_[id].s = std::move(qualified);
    Push(id);
  }

  Id& Memo(uint64_t index) {
    if (memo_.size() >= kMaxObjects && !memo_.count(static_cast<uint32_t>(index))) Fail("memo too large");
    return memo_[static_cast<uint32_t>(index)];
  }
  Id Get(uint64_t index) const {
    auto it = memo_.find(static_cast<uint32_t>(index));
    if (it == memo_.end()) Fail("memo index " + std::to_string(index) + " not set");
    return it->second;
  }

  std::vector<Id>& ListOf(Id id) {
    if (Obj(id).kind != Kind::List) Fail(std::string("APPEND to an object of type ") + KindName(Obj(id).kind));
    return out_.objects_[id].items;
  }

  // Python dict semantics for the key types a state_dict uses; a repeated key
  // replaces the value.
  void SetItem(Id dict, Id key, Id value) {
    if (Obj(dict).kind != Kind::Dict) Fail(std::string("SETITEM on an object of type ") + KindName(Obj(dict).kind));
    const Object& k = Obj(key);
    std::string hash_key;
    switch (k.kind) {
      case Kind::Str:
        hash_key = "s" + k.s;
        break;
      case Kind::Int:
      case Kind::Bool:
        hash_key = "i" + std::to_string(k.i);
        break;
      case Kind::None:
        hash_key = "n";
        break;
      default:
        Fail(std::string("unsupported dict key type ") + KindName(k.kind));
    }
    auto& index = dict_index_[dict];
    auto it = index.find(hash_key);
    auto& items = out_.objects_[dict].items;
    if (it != index.end()) {
      items[it->second + 1] = value;
    } else {
      index.emplace(std::move(hash_key), items.size());
      items.push_back(key);
      items.push_back(value);
    }
  }

  void Reduce() {
    Id args = Pop();
    Id callable = Pop();
    if (Obj(callable).kind != Kind::Global) Fail("REDUCE of a non-callable");
    if (Obj(args).kind != Kind::Tuple) Fail("REDUCE arguments are not a tuple");
    const std::string name = Obj(callable).s;
    if (name == "collections.OrderedDict") {
      if (!Obj(args).items.empty()) Fail("OrderedDict() with arguments is not supported");
      Id d = New(Kind::Dict);
      out_.objects_[d].ordered = true;
      Push(d);
      return;
    }
    if (!hooks_.allow && name.compare(0, 13, "torch._utils.") != 0) Fail("cannot call '" + Printable(name) + "'");
    if (!hooks_.call) Fail("'" + Printable(name) + "' is not supported here");
    Push(Add(hooks_.call(name, out_, args)));
  }

  const uint8_t* p_;
  const size_t size_;
  const Hooks& hooks_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  Unpickled out_;
  std::vector<Id> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, Id> memo_;
  std::unordered_map<Id, std::unordered_map<std::string, size_t>> dict_index_;
};

Unpickled Unpickle(const void* data, size_t size, const Hooks& hooks) { return Unpickler(data, size, hooks).Run(); }

}  // namespace pickle
}  // namespace vgg2

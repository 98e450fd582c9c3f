#include "json_lite.h"

#include <stdexcept>
#include <unordered_set>

namespace vgg2 {
namespace json {
namespace {

// Length of the UTF-8 sequence starting at p (<= end), or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SeqLen(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
  else return 0;
  if (static_cast<size_t>(end - p) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(const char* data, size_t size, int max_depth)
      : p_(reinterpret_cast<const unsigned char*>(data)),
        begin_(p_), end_(p_ + size), max_depth_(max_depth) {}

  Value ParseDocument() {
    SkipWs();
    Value v = ParseValue(0);
    SkipWs();
    if (p_ != end_) Fail("unexpected data after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw std::runtime_error("invalid JSON at byte " + std::to_string(p_ - begin_) + ": " + what);
  }

  void SkipWs() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  void Expect(char c) {
    if (p_ == end_ || *p_ != static_cast<unsigned char>(c))
      Fail(std::string("expected '") + c + "'");
    ++p_;
  }

  void Literal(const char* word) {
    for (const char* w = word; *w; ++w) {
      if (p_ == end_ || *p_ != static_cast<unsigned char>(*w))
        Fail(std::string("invalid literal (expected '") + word + "')");
      ++p_;
    }
  }

  Value ParseValue(int depth) {
    if (p_ == end_) Fail("unexpected end of input");
    Value v;
    switch (*p_) {
      case '{': ParseObject(&v, depth + 1); break;
      case '[': ParseArray(&v, depth + 1); break;
      case '"': v.type = Value::Type::String; v.text = ParseString(); break;
      case 't': Literal("true"); v.type = Value::Type::Bool; v.boolean = true; break;
      case 'f': Literal("false"); v.type = Value::Type::Bool; break;
      case 'n': Literal("null"); break;
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          v.type = Value::Type::Number;
          v.text = ParseNumber();
        } else {
          Fail("unexpected character");
        }
    }
    return v;
  }

  void ParseObject(Value* v, int depth) {
    if (depth > max_depth_) Fail("nesting too deep");
    v->type = Value::Type::Object;
    ++p_;  // '{'
    SkipWs();
    if (p_ != end_ && *p_ == '}') { ++p_; return; }
    std::unordered_set<std::string> seen;
    for (;;) {
      SkipWs();
      if (p_ == end_ || *p_ != '"') Fail("expected a string key");
      std::string key = ParseString();
      if (!seen.insert(key).second) Fail("duplicate key \"" + key + "\"");
      SkipWs();
      Expect(':');
      SkipWs();
      Value item = ParseValue(depth);
      v->object.emplace_back(std::move(key), std::move(item));
      SkipWs();
      if (p_ != end_ && *p_ == ',') { ++p_; continue; }
      Expect('}');
      return;
    }
  }

  void ParseArray(Value* v, int depth) {
    if (depth > max_depth_) Fail("nesting too deep");
    v->type = Value::Type::Array;
    ++p_;  // '['
    SkipWs();
    if (p_ != end_ && *p_ == ']') { ++p_; return; }
    for (;;) {
      SkipWs();
      v->array.push_back(ParseValue(depth));
      SkipWs();
      if (p_ != end_ && *p_ == ',') { ++p_; continue; }
      Expect(']');
      return;
    }
  }

  uint32_t Hex4() {
    if (end_ - p_ < 4) Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      unsigned char c = *p_;
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else Fail("bad hex digit in \\u escape");
    }
    return v;
  }

  std::string ParseString() {
    ++p_;  // '"'
    std::string out;
    for (;;) {
      if (p_ == end_) Fail("unterminated string");
      unsigned char c = *p_;
      if (c == '"') { ++p_; return out; }
      if (c < 0x20) Fail("control character in string");
      if (c == '\\') {
        ++p_;
        if (p_ == end_) Fail("unterminated escape");
        unsigned char e = *p_++;
        switch (e) {
          case '"': out.push_back('"'); break;
          case '\\': out.push_back('\\'); break;
          case '/': out.push_back('/'); break;
          case 'b': out.push_back('\b'); break;
          case 'f': out.push_back('\f'); break;
          case 'n': out.push_back('\n'); break;
          case 'r': out.push_back('\r'); break;
          case 't': out.push_back('\t'); break;
          case 'u': {
            uint32_t cp = Hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) Fail("unpaired low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') Fail("unpaired high surrogate");
              p_ += 2;
              uint32_t lo = Hex4();
              if (lo < 0xDC00 || lo > 0xDFFF) Fail("unpaired high surrogate");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            AppendUtf8(&out, cp);
            break;
          }
          default: --p_; Fail("invalid escape");
        }
        continue;
      }
      size_t n = Utf8SeqLen(p_, end_);
      if (n == 0) Fail("invalid UTF-8");
      out.append(reinterpret_cast<const char*>(p_), n);
      p_ += n;
    }
  }

  std::string ParseNumber() {
    const unsigned char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_) Fail("truncated number");
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      Fail("invalid number");
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') Fail("invalid number fraction");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') Fail("invalid number exponent");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    return std::string(reinterpret_cast<const char*>(start), p_ - start);
  }

  const unsigned char* p_;
  const unsigned char* const begin_;
  const unsigned char* const end_;
  const int max_depth_;
};

}  // namespace

const Value* Value::Find(const std::string& key) const {
  if (type != Type::Object) return nullptr;
  for (const auto& kv : object)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

Value Parse(const char* data, size_t size, int max_depth) {
  return Parser(data, size, max_depth).ParseDocument();
}

bool ToUint64(const Value& v, uint64_t* out) {
  if (v.type != Value::Type::Number || v.text.empty()) return false;
  uint64_t r = 0;
  for (char c : v.text) {
    if (c < '0' || c > '9') return false;  // sign, fraction or exponent
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (r > (UINT64_MAX - d) / 10) return false;
    r = r * 10 + d;
  }
  *out = r;
  return true;
}

bool IsValidUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p != end) {
    size_t n = Utf8SeqLen(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

void AppendQuoted(std::string* out, const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

const char* TypeName(Value::Type t) {
  switch (t) {
    case Value::Type::Null: return "null";
    case Value::Type::Bool: return "boolean";
    case Value::Type::Number: return "number";
    case Value::Type::String: return "string";
    case Value::Type::Array: return "array";
    case Value::Type::Object: return "object";
  }
  return "?";
}

}  // namespace json
}  // namespace vgg2

#pragma once
// Minimal strict JSON (RFC 8259) reader/writer helpers for safetensors headers;
// Debian ships no JSON library we could depend on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vgg2 {
namespace json {

struct Value {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  std::string text;  // String: decoded UTF-8; Number: the literal as written
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // document order, unique keys

  const Value* Find(const std::string& key) const;  // nullptr if absent / not an object
};

// Parses exactly one JSON value spanning [data, data+size) (surrounding whitespace
// allowed). Rejects duplicate object keys, invalid UTF-8, nesting deeper than
// max_depth. Throws std::runtime_error("... at byte N: ...").
Value Parse(const char* data, size_t size, int max_depth = 64);

// True if v is a Number written as a plain non-negative integer that fits uint64.
bool ToUint64(const Value& v, uint64_t* out);

bool IsValidUtf8(const std::string& s);

// Appends s as a quoted JSON string literal. s must be valid UTF-8.
void AppendQuoted(std::string* out, const std::string& s);

const char* TypeName(Value::Type t);

}  // namespace json
}  // namespace vgg2

#include "option_reader.h"

#include <cmath>
#include <sstream>

#include "errors.h"

namespace vgg2 {

namespace {
std::string Format(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

std::string Got(const Napi::Value& value) { return ", got " + value.ToString().Utf8Value(); }
}  // namespace

bool Interval::Contains(double x) const { return (min_open ? x > min : x >= min) && (max_open ? x < max : x <= max); }

std::string Interval::Text() const {
  const bool low = std::isfinite(min), high = std::isfinite(max);
  if (low && high) {
    return "in " + std::string(min_open ? "(" : "[") + Format(min) + ", " + Format(max) + (max_open ? ")" : "]");
  }
  if (low) return (min_open ? "> " : ">= ") + Format(min);
  if (high) return (max_open ? "< " : "<= ") + Format(max);
  return "finite";
}

double ToNumber(const Napi::Value& value, const std::string& name, const Interval& range) {
  if (!value.IsNumber()) ThrowType(value.Env(), name + " must be a number");
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) ThrowRange(value.Env(), name + " must be finite" + Got(value));
  if (!range.Contains(x)) ThrowRange(value.Env(), name + " must be " + range.Text() + Got(value));
  return x;
}

int64_t ToInt(const Napi::Value& value, const std::string& name, int64_t min, int64_t max) {
  const double x = ToNumber(value, name);
  if (x != std::floor(x) || x < static_cast<double>(min) || x > static_cast<double>(max)) {
    ThrowRange(value.Env(),
               name + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]" + Got(value));
  }
  return static_cast<int64_t>(x);
}

OptionReader::OptionReader(const Napi::Value& value, std::string name) : env_(value.Env()), name_(std::move(name)) {
  if (value.IsUndefined()) return;
  if (!value.IsObject()) ThrowType(env_, (name_.empty() ? std::string("options") : name_) + " must be an object");
  object_ = value.As<Napi::Object>();
}

bool OptionReader::Has(const char* key) const { return !Get(key).IsUndefined(); }

Napi::Value OptionReader::Get(const char* key) const { return object_.IsEmpty() ? env_.Undefined() : object_.Get(key); }

std::string OptionReader::Name(const char* key) const { return name_.empty() ? key : name_ + "." + key; }

std::optional<Napi::Value> OptionReader::Present(const char* key, bool has_fallback, const char* kind) const {
  Napi::Value value = Get(key);
  if (!value.IsUndefined()) return value;
  if (!has_fallback) ThrowType(env_, Name(key) + " must be given (" + kind + ")");
  return std::nullopt;
}

std::string OptionReader::String(const char* key, std::optional<std::string> fallback) const {
  auto value = Present(key, fallback.has_value(), "a string");
  if (!value) return *fallback;
  if (!value->IsString()) ThrowType(env_, Name(key) + " must be a string");
  return value->As<Napi::String>().Utf8Value();
}

std::string OptionReader::Choice(const char* key, std::initializer_list<const char*> choices,
                                 std::optional<std::string> fallback) const {
  std::string word = String(key, std::move(fallback));
  std::string list;
  size_t i = 0;
  for (const char* choice : choices) {
    if (word == choice) return word;
    if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
    list += std::string("'") + choice + "'";
    ++i;
  }
  ThrowRange(env_, Name(key) + " must be " + list + ", got '" + word + "'");
}

bool OptionReader::Bool(const char* key, std::optional<bool> fallback) const {
  auto value = Present(key, fallback.has_value(), "a boolean");
  if (!value) return *fallback;
  if (!value->IsBoolean()) ThrowType(env_, Name(key) + " must be a boolean");
  return value->As<Napi::Boolean>().Value();
}

double OptionReader::Number(const char* key, const Interval& range, std::optional<double> fallback) const {
  auto value = Present(key, fallback.has_value(), "a number");
  return value ? ToNumber(*value, Name(key), range) : *fallback;
}

int64_t OptionReader::Int(const char* key, int64_t min, int64_t max, std::optional<int64_t> fallback) const {
  auto value = Present(key, fallback.has_value(), "an integer");
  return value ? ToInt(*value, Name(key), min, max) : *fallback;
}

void OptionReader::IntArray(const char* key, int64_t min, int64_t max, int* out, size_t n) const {
  auto value = *Present(key, false, "an array of integers");
  const std::string what = Name(key) + " must be an array of " + std::to_string(n) + " integers";
  if (!value.IsArray()) ThrowType(env_, what);
  auto array = value.As<Napi::Array>();
  if (array.Length() != n) ThrowRange(env_, what + ", got " + std::to_string(array.Length()));
  for (uint32_t i = 0; i < n; ++i) {
    out[i] = static_cast<int>(ToInt(array.Get(i), Name(key) + "[" + std::to_string(i) + "]", min, max));
  }
}

std::vector<int64_t> OptionReader::IntList(const char* key, int64_t min, int64_t max, size_t max_length) const {
  auto value = Present(key, true, "an array of integers");
  if (!value) return {};
  const std::string what = Name(key) + " must be an array of at most " + std::to_string(max_length) + " integers";
  if (!value->IsArray()) ThrowType(env_, what);
  auto array = value->As<Napi::Array>();
  if (array.Length() > max_length) ThrowRange(env_, what + ", got " + std::to_string(array.Length()));
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    out[i] = ToInt(array.Get(i), Name(key) + "[" + std::to_string(i) + "]", min, max);
  }
  return out;
}

}  // namespace vgg2

// Reading the arguments and options of JS calls, with one rule for all of them: a value of the wrong
// JS type (or a required one left out) is a TypeError; a value of the right type that is out of range
// or not an allowed word is a RangeError; every message names the option ("specs[2].width must ...").
// JS thread only, before any native work.
#pragma once
#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace vgg2 {

// The numbers an option accepts: [min, max], either end open. Its text ("> 0", "in [0, 1)") goes
// into the messages.
struct Interval {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;

  bool Contains(double x) const;
  std::string Text() const;
};
inline constexpr Interval kAnyNumber{};
inline constexpr Interval kNonNegative{0};
inline constexpr Interval kPositive{0, std::numeric_limits<double>::infinity(), true};

// One value (a positional argument, an array item) that messages call `name`: a finite number in
// `range`, or an integer in [min, max].
double ToNumber(const Napi::Value& value, const std::string& name, const Interval& range = kAnyNumber);
int64_t ToInt(const Napi::Value& value, const std::string& name, int64_t min, int64_t max);

// The options object of one call. A reader's `fallback` is used when the option is absent
// (undefined); without one, the option is required.
class OptionReader {
 public:
  // `value`: an object, or undefined for no options. `name` prefixes the keys in messages ("specs[2]"),
  // empty for a call's own options.
  explicit OptionReader(const Napi::Value& value, std::string name = "");

  bool Has(const char* key) const;
  Napi::Value Get(const char* key) const;  // for options of their own kind (typed arrays)
  std::string Name(const char* key) const;
  Napi::Env Env() const { return env_; }

  std::string String(const char* key, std::optional<std::string> fallback = {}) const;
  // One of `choices`.
  std::string Choice(const char* key, std::initializer_list<const char*> choices,
                     std::optional<std::string> fallback = {}) const;
  bool Bool(const char* key, std::optional<bool> fallback = {}) const;
  double Number(const char* key, const Interval& range, std::optional<double> fallback = {}) const;
  int64_t Int(const char* key, int64_t min, int64_t max, std::optional<int64_t> fallback = {}) const;
  // An array of exactly N integers in [min, max] (within int's range).
  template <size_t N>
  void IntArray(const char* key, int64_t min, int64_t max, int (&out)[N]) const {
    IntArray(key, min, max, out, N);
  }
  // An array of at most `max_length` integers in [min, max]; empty when absent.
  std::vector<int64_t> IntList(const char* key, int64_t min, int64_t max, size_t max_length) const;

 private:
  void IntArray(const char* key, int64_t min, int64_t max, int* out, size_t n) const;
  // The option's value, or nullopt when absent and `has_fallback`; absent and required: TypeError.
  std::optional<Napi::Value> Present(const char* key, bool has_fallback, const char* kind) const;

  Napi::Env env_;
  Napi::Object object_;  // empty when the call has no options
  std::string name_;
};

}  // namespace vgg2

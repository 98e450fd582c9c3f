#include "errors.h"

#include <c10/util/Exception.h>

namespace vgg2 {

std::string FirstLine(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string message = c10_error ? c10_error->what_without_backtrace() : e.what();
  auto end = message.find('\n');
  if (end != std::string::npos) message.resize(end);
  return message.empty() ? "unknown native error" : message;
}

void ThrowType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

void ThrowRange(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

}  // namespace vgg2

#include "error_text.h"

#include <c10/util/Exception.h>

namespace vgg2 {

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string FirstLine(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string message = FirstLine(c10_error ? c10_error->what_without_backtrace() : e.what());
  return message.empty() ? "unknown native error" : message;
}

}  // namespace vgg2

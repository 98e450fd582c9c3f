// An error's message for a user: its first line, never a C++ backtrace. Plain C++ (no Node
// types), so that the weights readers use it too.
#pragma once
#include <exception>
#include <string>

namespace vgg2 {

std::string FirstLine(const std::string& text);
// c10::Error carries context lines and a backtrace after its message; other exceptions may too.
std::string FirstLine(const std::exception& e);

}  // namespace vgg2

// A file written whole or not at all: a temporary file beside it, filled, fsynced, renamed over
// the path, and the directory fsynced. Every weights writer goes through it.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace vgg2 {

// `write(bytes, size)` appends to the temporary file; `fill` calls it as often as it needs.
using Append = std::function<void(const char* bytes, size_t size)>;

// Throws std::runtime_error("cannot create ...", "write to ... failed", ...); on any failure the
// temporary file is removed and `path` is untouched.
void WriteFileAtomically(const std::string& path, const std::function<void(const Append&)>& fill);

}  // namespace vgg2

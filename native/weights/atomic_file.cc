#include "weights/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace vgg2 {

namespace {
std::string ErrnoText() { return std::strerror(errno); }

void WriteAll(int fd, const char* data, size_t size, const std::string& tmp) {
  while (size > 0) {
    size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    ssize_t n = ::write(fd, data, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("write to " + tmp + " failed: " + ErrnoText());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

void WriteFileAtomically(const std::string& path, const std::function<void(const Append&)>& fill) {
  static std::atomic<unsigned> counter{0};
  const std::string dir = Dirname(path);
  const std::string tmp =
      dir + "/." + Basename(path) + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + ErrnoText());
  try {
    fill([&](const char* bytes, size_t size) { WriteAll(fd, bytes, size, tmp); });
    if (::fsync(fd) != 0) throw std::runtime_error("fsync of " + tmp + " failed: " + ErrnoText());
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) throw std::runtime_error("close of " + tmp + " failed: " + ErrnoText());
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error("rename of " + tmp + " failed: " + ErrnoText());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // Persist the rename itself.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw std::runtime_error("written, but cannot open directory " + dir + " to fsync it: " + ErrnoText());
  int rc = ::fsync(dfd);
  int saved = errno;
  ::close(dfd);
  if (rc != 0) {
    errno = saved;
    throw std::runtime_error("written, but fsync of directory " + dir + " failed: " + ErrnoText());
  }
}

}  // namespace vgg2

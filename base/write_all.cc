#include "base/write_all.h"

#include <unistd.h>

#include <cerrno>

namespace slabkit {

void WriteAll(int fd, const char* data, size_t n) {
  const int saved_errno = errno;
  for (size_t off = 0; off < n;) {
    const ssize_t w = write(fd, data + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  errno = saved_errno;
}

}  // namespace slabkit

#include "stats/mappings.h"

#include <fcntl.h>
#include <unistd.h>

namespace slabkit {

int64_t KernelMappings() {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int64_t lines = 0;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) {
    for (ssize_t i = 0; i < n; ++i) lines += buffer[i] == '\n';
  }
  close(fd);
  return lines;
}

}  // namespace slabkit

#include "stats/heap_profile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace slabkit {
namespace heap_profile_internal {
namespace {

void WriteAll(int fd, const char* text, size_t n) {
  for (size_t off = 0; off < n;) {
    const ssize_t w = write(fd, text + off, n - off);
    if (w <= 0) return;
    off += static_cast<size_t>(w);
  }
}

}  // namespace

void WriteHeader(int fd, uint64_t objects, uint64_t bytes, uint64_t interval) {
  char line[256];
  const int n =
      snprintf(line, sizeof(line),
               "heap profile: %6llu: %8llu [%6llu: %8llu] @ heap_v2/%llu\n",
               static_cast<unsigned long long>(objects),
               static_cast<unsigned long long>(bytes),
               static_cast<unsigned long long>(objects),
               static_cast<unsigned long long>(bytes),
               static_cast<unsigned long long>(interval));
  if (n > 0) WriteAll(fd, line, static_cast<size_t>(n));
}

void WriteRecord(int fd, size_t bytes, void* const* stack, int depth) {
  char line[1024];
  int n = snprintf(line, sizeof(line), "%6d: %8zu [%6d: %8zu] @", 1, bytes, 1,
                   bytes);
  for (int i = 0;
       i < depth && n > 0 && static_cast<size_t>(n) < sizeof(line) - 24; ++i) {
    n += snprintf(line + n, sizeof(line) - n, " %p", stack[i]);
  }
  if (n <= 0) return;
  line[n++] = '\n';
  WriteAll(fd, line, static_cast<size_t>(n));
}

void WriteMappedLibraries(int fd) {
  static constexpr char kHeader[] = "\nMAPPED_LIBRARIES:\n";
  WriteAll(fd, kHeader, sizeof(kHeader) - 1);
  const int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (maps < 0) return;
  char buffer[4096];
  for (ssize_t n; (n = read(maps, buffer, sizeof(buffer))) > 0;) {
    WriteAll(fd, buffer, static_cast<size_t>(n));
  }
  close(maps);
}

}  // namespace heap_profile_internal
}  // namespace slabkit

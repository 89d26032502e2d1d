#include "stats/heap_profile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "base/write_all.h"

namespace slabkit {
namespace heap_profile_internal {
namespace {

// A line built in a stack buffer with no call into stdio, which is not
// async-signal-safe (profiles are written from a signal handler:
// SLABKIT_OPTIONS=profile_signal). What does not fit is dropped.
class Line {
 public:
  Line& Text(const char* s) {
    while (*s != '\0') Put(*s++);
    return *this;
  }
  // `v` in decimal, right-aligned in `width` columns.
  Line& Decimal(uint64_t v, int width = 0) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (int pad = width - n; pad > 0; --pad) Put(' ');
    while (n > 0) Put(digits[--n]);
    return *this;
  }
  // As printf's %p: 0x and lowercase hex digits.
  Line& Address(const void* p) {
    uintptr_t v = reinterpret_cast<uintptr_t>(p);
    char digits[16];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    Text("0x");
    while (n > 0) Put(digits[--n]);
    return *this;
  }
  size_t size() const { return n_; }
  const char* data() const { return buffer_; }
  void WriteTo(int fd) const { WriteAll(fd, buffer_, n_); }

 private:
  void Put(char c) {
    if (n_ < sizeof(buffer_)) buffer_[n_++] = c;
  }
  char buffer_[1024];
  size_t n_ = 0;
};

}  // namespace

void WriteHeader(int fd, uint64_t objects, uint64_t bytes, uint64_t interval) {
  Line line;
  line.Text("heap profile: ").Decimal(objects, 6).Text(": ").Decimal(bytes, 8);
  line.Text(" [").Decimal(objects, 6).Text(": ").Decimal(bytes, 8);
  line.Text("] @ heap_v2/").Decimal(interval).Text("\n");
  line.WriteTo(fd);
}

void WriteRecord(int fd, size_t bytes, void* const* stack, int depth) {
  Line line;
  line.Decimal(1, 6).Text(": ").Decimal(bytes, 8);
  line.Text(" [").Decimal(1, 6).Text(": ").Decimal(bytes, 8).Text("] @");
  for (int i = 0; i < depth && line.size() < 1000; ++i) {
    line.Text(" ").Address(stack[i]);
  }
  line.Text("\n");
  line.WriteTo(fd);
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

void DefaultProfilePath(char* out, size_t size) {
  heap_profile_internal::Line line;
  line.Text("slabkit.").Decimal(static_cast<uint64_t>(getpid())).Text(".heap");
  if (size == 0) return;
  const size_t n = line.size() < size ? line.size() : size - 1;
  memcpy(out, line.data(), n);
  out[n] = '\0';
}

}  // namespace slabkit

#include "stats/heap_profile.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/debugging/symbolize.h"
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

// Whether `name` is the allocator's own: its frames on top of a sample's
// stack are dropped (in both formats), so that the profile starts at the
// program's call.
bool IsAllocatorFrame(const char* name) {
  static constexpr const char* kPrefixes[] = {"slabkit::", "slabkit_",
                                              "operator new"};
  for (const char* prefix : kPrefixes) {
    if (strncmp(name, prefix, strlen(prefix)) == 0) return true;
  }
  static constexpr const char* kEntryPoints[] = {
      "malloc", "calloc",        "realloc",  "reallocarray", "posix_memalign",
      "valloc", "aligned_alloc", "memalign", "pvalloc"};
  for (const char* entry : kEntryPoints) {
    if (strcmp(name, entry) == 0) return true;
  }
  return false;
}

// The first frame of `stack` that is not the allocator's own (the last
// frame, at worst).
int FirstProgramFrame(void* const* stack, int depth) {
  char name[256];
  int first = 0;
  while (first < depth - 1 &&
         absl::Symbolize(static_cast<char*>(stack[first]) - 1, name,
                         sizeof(name)) &&
         IsAllocatorFrame(name)) {
    ++first;
  }
  return first;
}

}  // namespace

void WriteTextHeader(int fd, uint64_t live, uint64_t live_bytes,
                     uint64_t allocated, uint64_t allocated_bytes,
                     uint64_t interval) {
  Line line;
  line.Text("heap profile: ").Decimal(live, 6).Text(": ");
  line.Decimal(live_bytes, 8).Text(" [").Decimal(allocated, 6).Text(": ");
  line.Decimal(allocated_bytes, 8).Text("] @ heap_v2/").Decimal(interval);
  line.Text("\n");
  line.WriteTo(fd);
}

void WriteTextRecord(int fd, const ProfileSample& s) {
  Line line;
  line.Decimal(s.live, 6).Text(": ").Decimal(s.live * s.size, 8).Text(" [");
  line.Decimal(s.allocations, 6).Text(": ");
  line.Decimal(s.allocations * s.size, 8).Text("] @");
  for (int i = FirstProgramFrame(s.stack, s.depth);
       i < s.depth && line.size() < 1000; ++i) {
    line.Text(" ").Address(s.stack[i]);
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

namespace {

// profile.proto's field numbers.
enum ProfileField {
  kSampleType = 1,
  kSample = 2,
  kMapping = 3,
  kLocation = 4,
  kFunction = 5,
  kStringTable = 6,
  kPeriodType = 11,
  kPeriod = 12,
};

// A message built in a stack buffer. What does not fit is dropped (a stack
// is at most a few hundred bytes).
class Message {
 public:
  Message& Varint(uint64_t v) {
    while (v >= 0x80) {
      Put(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    Put(static_cast<char>(v));
    return *this;
  }
  Message& Tag(int field, int wire_type) {
    return Varint(static_cast<uint64_t>(field) << 3 | wire_type);
  }
  Message& Uint(int field, uint64_t v) { return Tag(field, 0).Varint(v); }
  Message& Embed(int field, const Message& m) {
    Tag(field, 2).Varint(m.n_);
    for (size_t i = 0; i < m.n_; ++i) Put(m.buffer_[i]);
    return *this;
  }
  const char* data() const { return buffer_; }
  size_t size() const { return n_; }

 private:
  void Put(char c) {
    if (n_ < sizeof(buffer_)) buffer_[n_++] = c;
  }
  char buffer_[768];
  size_t n_ = 0;
};

Message ValueType(uint64_t type, uint64_t unit) {
  Message m;
  m.Uint(1, type).Uint(2, unit);
  return m;
}

uint64_t ParseHex(const char*& p, const char* end) {
  uint64_t v = 0;
  for (; p < end; ++p) {
    const char c = *p;
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : -1;
    if (d < 0) break;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

ProtoProfile::ProtoProfile(int fd, uint64_t interval)
    : fd_(fd), interval_(interval) {
  String("");  // index 0 is the empty string
  const uint64_t count = String("count"), bytes = String("bytes");
  const char* const kTypes[] = {"alloc_objects", "alloc_space", "inuse_objects",
                                "inuse_space"};
  for (int i = 0; i < 4; ++i) {
    const Message type = ValueType(String(kTypes[i]), i % 2 ? bytes : count);
    Field(kSampleType, type.data(), type.size());
  }
  const Message period = ValueType(String("space"), bytes);
  Field(kPeriodType, period.data(), period.size());
  Message m;
  m.Uint(kPeriod, interval);
  Bytes(m.data(), m.size());
  class_key_ = String("class");
  bytes_key_ = bytes;
  bytes_unit_ = bytes;
  Mappings();
}

ProtoProfile::~ProtoProfile() { WriteAll(fd_, buffer_, buffered_); }

void ProtoProfile::Bytes(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    if (buffered_ == sizeof(buffer_)) {
      WriteAll(fd_, buffer_, buffered_);
      buffered_ = 0;
    }
    const size_t k = std::min(n, sizeof(buffer_) - buffered_);
    memcpy(buffer_ + buffered_, p, k);
    buffered_ += k;
    p += k;
    n -= k;
  }
}

void ProtoProfile::Field(int number, const void* data, size_t n) {
  Message head;
  head.Tag(number, 2).Varint(n);
  Bytes(head.data(), head.size());
  Bytes(data, n);
}

uint64_t ProtoProfile::String(const char* s, size_t n) {
  Field(kStringTable, s, n);
  return strings_++;
}

uint64_t ProtoProfile::String(const char* s) { return String(s, strlen(s)); }

// One Mapping per executable mapping of /proc/self/maps
// ("start-limit perms offset dev inode path"), ids from 1.
void ProtoProfile::Mappings() {
  const int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (maps < 0) return;
  char buffer[4096];
  size_t held = 0;
  for (;;) {
    char* newline = static_cast<char*>(memchr(buffer, '\n', held));
    if (newline == nullptr) {
      if (held == sizeof(buffer)) held = 0;  // a line too long: dropped
      const ssize_t n = read(maps, buffer + held, sizeof(buffer) - held);
      if (n <= 0) break;
      held += static_cast<size_t>(n);
      continue;
    }
    const char* p = buffer;
    const char* end = newline;
    const uint64_t start = ParseHex(p, end);
    ++p;  // '-'
    const uint64_t limit = ParseHex(p, end);
    ++p;  // ' '
    const bool executable = end - p > 4 && p[2] == 'x';
    p += 5;
    const uint64_t offset = ParseHex(p, end);
    // The path starts at the first '/' or '[' after the inode.
    const char* path = p;
    while (path < end && *path != '/' && *path != '[') ++path;
    if (executable && num_mappings_ < static_cast<int>(sizeof(mappings_) /
                                                       sizeof(mappings_[0]))) {
      mappings_[num_mappings_++] = {start, limit};
      const uint64_t file = String(path, static_cast<size_t>(end - path));
      Message m;
      m.Uint(1, static_cast<uint64_t>(num_mappings_))
          .Uint(2, start)
          .Uint(3, limit)
          .Uint(4, offset)
          .Uint(5, file);
      Field(kMapping, m.data(), m.size());
    }
    const size_t used = static_cast<size_t>(newline + 1 - buffer);
    memmove(buffer, newline + 1, held - used);
    held -= used;
  }
  close(maps);
}

uint64_t ProtoProfile::MappingOf(uintptr_t address) const {
  for (int i = 0; i < num_mappings_; ++i) {
    if (address >= mappings_[i].start && address < mappings_[i].limit) {
      return static_cast<uint64_t>(i + 1);
    }
  }
  return 0;
}

void ProtoProfile::Add(const ProfileSample& s) {
  if (s.class_name != last_class_) {
    last_class_ = s.class_name;
    last_class_string_ = String(s.class_name);
  }
  // A Location per frame: the address of the call (the return address less
  // one), as pprof expects of every frame but a leaf's, with the function's
  // name where the symbolizer finds it (pprof then needs no binary; it may
  // still look for line numbers in the mapped files).
  Message ids;
  char name[256];
  for (int i = FirstProgramFrame(s.stack, s.depth); i < s.depth; ++i) {
    const uintptr_t pc = reinterpret_cast<uintptr_t>(s.stack[i]) - 1;
    Message location;
    location.Uint(1, ++locations_).Uint(2, MappingOf(pc)).Uint(3, pc);
    if (absl::Symbolize(reinterpret_cast<void*>(pc), name, sizeof(name))) {
      const uint64_t name_string = String(name);
      Message function;
      function.Uint(1, ++functions_).Uint(2, name_string).Uint(3, name_string);
      Field(kFunction, function.data(), function.size());
      Message line;
      line.Uint(1, functions_);
      location.Embed(4, line);
    }
    Field(kLocation, location.data(), location.size());
    ids.Varint(locations_);
  }
  const double weight = SampleWeight(s.size, interval_);
  const auto scaled = [weight](uint64_t n, size_t size) {
    return static_cast<uint64_t>(
        static_cast<double>(n) * weight * static_cast<double>(size) + 0.5);
  };
  Message values;
  values.Varint(scaled(s.allocations, 1))
      .Varint(scaled(s.allocations, s.size))
      .Varint(scaled(s.live, 1))
      .Varint(scaled(s.live, s.size));
  Message class_label, bytes_label;
  class_label.Uint(1, class_key_).Uint(2, last_class_string_);
  bytes_label.Uint(1, bytes_key_).Uint(3, s.size).Uint(4, bytes_unit_);
  Message sample;
  sample.Embed(1, ids)
      .Embed(2, values)
      .Embed(3, class_label)
      .Embed(3, bytes_label);
  Field(kSample, sample.data(), sample.size());
}

}  // namespace heap_profile_internal

double SampleWeight(size_t size, uint64_t interval) {
  if (interval <= 1 || size == 0) return 1;
  const double p =
      -std::expm1(-static_cast<double>(size) / static_cast<double>(interval));
  return p > 0 ? 1 / p : 1;
}

void DefaultProfilePath(char* out, size_t size) {
  heap_profile_internal::Line line;
  line.Text("slabkit.").Decimal(static_cast<uint64_t>(getpid())).Text(".heap");
  if (size == 0) return;
  const size_t n = line.size() < size ? line.size() : size - 1;
  memcpy(out, line.data(), n);
  out[n] = '\0';
}

}  // namespace slabkit

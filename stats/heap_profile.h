// Heap profiles of sampled allocations, in two formats:
//
// kText, the legacy text format that google-pprof (Debian's google-perftools)
// and `go tool pprof` read:
//
//   heap profile:  N: B [ N: B] @ heap_v2/INTERVAL
//    1: 48 [ 1: 48] @ 0x55e7648c0fae 0x55e7648bede2 ...
//   ...
//   MAPPED_LIBRARIES:
//   <the process's /proc/self/maps>
//
// Each sampled live object is one record, and each allocation site's
// sampled allocations since start another (in use 0: allocated n); pprof
// scales them back up with the sampling interval ("heap_v2").
//
// kProto, pprof's profile.proto (not gzipped; pprof reads it as it is), as
// Go's heap profiles: sample types alloc_objects, alloc_space (count, bytes),
// inuse_objects, inuse_space, values already scaled up by the sampling
// probability (unbiased estimates), a "class" label on every sample and a
// "bytes" one with the object size, function names from the symbolizer
// (absl::Symbolize, async-signal-safe) and the executable mappings of
// /proc/self/maps, against which pprof can look the addresses up again.
//
// Both are written with write(2) from stack buffers, with no lock, no
// allocation and no stdio: async-signal-safe, as long as for_each is.
#ifndef SLABKIT_STATS_HEAP_PROFILE_H_
#define SLABKIT_STATS_HEAP_PROFILE_H_

#include <cstddef>
#include <cstdint>

namespace slabkit {

enum class ProfileFormat { kText = 0, kProto = 1 };
// kHeap: the live samples and the allocation sites since start; kPeak: the
// samples live when the estimated live heap was largest.
enum class ProfileKind { kHeap = 0, kPeak = 1 };

// The expected number of allocations one sample of an object of `size`
// bytes stands for, when one byte in `interval` is sampled (as Go's
// scaleHeapSample): 1 / (1 - e^(-size/interval)).
double SampleWeight(size_t size, uint64_t interval);
// The bytes a sample of `size` bytes stands for: its size times its weight.
inline uint64_t SampledBytes(size_t size, uint64_t interval) {
  return static_cast<uint64_t>(SampleWeight(size, interval) *
                               static_cast<double>(size));
}

// What for_each hands a profile writer: a live sampled object (live 1,
// allocations 0) or an allocation site's sampled allocations since start
// (live 0, allocations n).
struct ProfileSample {
  const char* class_name;
  size_t size;  // bytes of each object
  void* const* stack;
  int depth;
  uint64_t live;
  uint64_t allocations;
};

namespace heap_profile_internal {
void WriteTextHeader(int fd, uint64_t live, uint64_t live_bytes,
                     uint64_t allocated, uint64_t allocated_bytes,
                     uint64_t interval);
void WriteTextRecord(int fd, const ProfileSample& s);
void WriteMappedLibraries(int fd);

// The proto writer's state, on the caller's stack.
class ProtoProfile {
 public:
  ProtoProfile(int fd, uint64_t interval);
  ~ProtoProfile();  // writes what is buffered
  void Add(const ProfileSample& s);

 private:
  struct Mapping {
    uintptr_t start, limit;
  };
  void Bytes(const void* data, size_t n);
  void Field(int number, const void* data, size_t n);  // length-delimited
  uint64_t String(const char* s, size_t n);            // its table index
  uint64_t String(const char* s);
  void Mappings();
  uint64_t MappingOf(uintptr_t address) const;

  const int fd_;
  const uint64_t interval_;
  uint64_t strings_ = 0;
  uint64_t locations_ = 0;
  uint64_t functions_ = 0;
  uint64_t class_key_, bytes_key_, bytes_unit_;
  const char* last_class_ = nullptr;
  uint64_t last_class_string_ = 0;
  int num_mappings_ = 0;
  Mapping mappings_[128];
  size_t buffered_ = 0;
  char buffer_[4096];
};
}  // namespace heap_profile_internal

// "slabkit.<pid>.heap", where profiles go by default, into `out` (`size`
// bytes, truncated to fit). Async-signal-safe.
void DefaultProfilePath(char* out, size_t size);

// Writes a profile of the samples `for_each` visits: for_each(f) must call
// f(const ProfileSample&) for every live sampled object and every
// allocation site (it is called twice for kText: totals, then records).
template <typename ForEach>
void WriteHeapProfile(int fd, ProfileFormat format, uint64_t interval,
                      ForEach&& for_each) {
  if (format == ProfileFormat::kProto) {
    heap_profile_internal::ProtoProfile profile(fd, interval);
    for_each([&](const ProfileSample& s) { profile.Add(s); });
    return;
  }
  uint64_t live = 0, live_bytes = 0, allocated = 0, allocated_bytes = 0;
  for_each([&](const ProfileSample& s) {
    live += s.live;
    live_bytes += s.live * s.size;
    allocated += s.allocations;
    allocated_bytes += s.allocations * s.size;
  });
  heap_profile_internal::WriteTextHeader(fd, live, live_bytes, allocated,
                                         allocated_bytes, interval);
  for_each([fd](const ProfileSample& s) {
    heap_profile_internal::WriteTextRecord(fd, s);
  });
  heap_profile_internal::WriteMappedLibraries(fd);
}

}  // namespace slabkit

#endif  // SLABKIT_STATS_HEAP_PROFILE_H_

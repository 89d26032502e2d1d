// Heap profiles of sampled allocations, in the legacy text format that
// google-pprof (Debian's google-perftools) and `go tool pprof` read:
//
//   heap profile:  N: B [ N: B] @ heap_v2/INTERVAL
//    1: 48 [ 1: 48] @ 0x55e7648c0fae 0x55e7648bede2 ...
//   ...
//   MAPPED_LIBRARIES:
//   <the process's /proc/self/maps>
//
// Each sampled live object is one record; pprof scales the samples back up
// with the sampling interval ("heap_v2"). Written with write(2) from stack
// buffers, with no lock, no allocation and no stdio: async-signal-safe, as
// long as for_each is.
#ifndef SLABKIT_STATS_HEAP_PROFILE_H_
#define SLABKIT_STATS_HEAP_PROFILE_H_

#include <cstddef>
#include <cstdint>

namespace slabkit {

namespace heap_profile_internal {
void WriteHeader(int fd, uint64_t objects, uint64_t bytes, uint64_t interval);
void WriteRecord(int fd, size_t bytes, void* const* stack, int depth);
void WriteMappedLibraries(int fd);
}  // namespace heap_profile_internal

// "slabkit.<pid>.heap", where profiles go by default, into `out` (`size`
// bytes, truncated to fit). Async-signal-safe.
void DefaultProfilePath(char* out, size_t size);

// Writes a profile of the samples `for_each` visits: for_each(f) must call
// f(const void* object, size_t bytes, void* const* stack, int depth) for
// every live sampled object (it is called twice: totals, then records).
template <typename ForEach>
void WriteHeapProfile(int fd, uint64_t interval, ForEach&& for_each) {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  for_each([&](const void*, size_t size, void* const*, int) {
    ++objects;
    bytes += size;
  });
  heap_profile_internal::WriteHeader(fd, objects, bytes, interval);
  for_each([fd](const void*, size_t size, void* const* stack, int depth) {
    heap_profile_internal::WriteRecord(fd, size, stack, depth);
  });
  heap_profile_internal::WriteMappedLibraries(fd);
}

}  // namespace slabkit

#endif  // SLABKIT_STATS_HEAP_PROFILE_H_

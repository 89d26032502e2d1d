// What slabkit reports about a class and about the process: plain data,
// filled by the allocator (allocator/slab_allocator.h) and formatted by
// stats/report.h. Field names are the JSON report's (docs/stats.md).
#ifndef SLABKIT_STATS_CLASS_STATS_H_
#define SLABKIT_STATS_CLASS_STATS_H_

#include <cstddef>
#include <cstdint>

namespace slabkit {

// A snapshot of one class. Exact when no thread is allocating or releasing
// it; otherwise each count is exact at some moment during the read, and
// live counts at least the objects that stayed live throughout it.
struct ClassStats {
  uint32_t id = 0;
  const char* name = nullptr;    // valid for the life of the process
  const char* mapper = nullptr;  // the mapper's name()
  size_t size = 0;               // as registered
  size_t object_size = 0;        // the stride objects are carved at
  size_t alignment = 0;
  // Calls, by every thread, cached or not: per-thread counters merged on
  // read, so exact whatever the threads' caches hold.
  uint64_t allocations = 0;
  uint64_t releases = 0;
  uint64_t live = 0;           // allocations - releases
  uint64_t in_use_bytes = 0;   // live * object_size
  uint64_t cache_hits = 0;     // allocations the fast path served
  uint64_t cache_misses = 0;   // allocations that took the slow path
  uint64_t misuse_events = 0;  // misuse reported against the class
  // Objects handed from the slab to the program or the caches and back
  // (the Stats policy's counts; zero under NoStats).
  uint64_t from_slab = 0;
  uint64_t to_slab = 0;
  uint64_t peak_out_of_slab = 0;
  // Memory, from the slab: always exact.
  size_t chunks = 0;
  size_t spans = 0;
  size_t reserved_bytes = 0;
  size_t committed_bytes = 0;
  size_t decommitted_spans = 0;  // given back, addresses kept for reuse
  // Committed in spans with no live object (a decay pass gives it back),
  // and given back to the OS so far (decay passes and ReleaseIdleMemory).
  size_t idle_bytes = 0;
  size_t returned_bytes = 0;
  // The Cache policy (zero under DirectCache).
  uint32_t magazine_capacity = 0;
  uint64_t magazines = 0;              // magazines made for the class
  uint64_t depot_objects = 0;          // objects in the depot's magazines
  uint64_t thread_cached_objects = 0;  // in the calling thread's magazines
  uint64_t depot_exchanges = 0;        // magazines taken from or given back
};

// What may be read about a class from a signal handler (SlabAllocator::
// ReadCounters): the call counts and the memory, read without a lock. Each
// count is exact at some moment during the read. Releases are read before
// allocations, so under concurrent use live may count objects released
// during the read, but never misses one that stayed live throughout.
struct ClassCounters {
  uint64_t allocations = 0;
  uint64_t releases = 0;
  uint64_t live = 0;
  uint64_t in_use_bytes = 0;  // live * object size
  size_t reserved_bytes = 0;
  size_t committed_bytes = 0;
  size_t idle_bytes = 0;  // as ClassStats'
  size_t returned_bytes = 0;
};

// Memory of one mapper, summed over an allocator's classes.
struct MapperStats {
  const char* name = nullptr;
  size_t reserved_bytes = 0;
  size_t committed_bytes = 0;
};

// An allocator, and the process around it.
struct GlobalStats {
  static constexpr int kMaxMappers = 32;
  uint32_t classes = 0;
  size_t reserved_bytes = 0;  // all classes' chunks
  size_t committed_bytes = 0;
  size_t metadata_bytes = 0;  // class records and magazines
  size_t idle_bytes = 0;      // the classes' idle_bytes, summed
  size_t returned_bytes = 0;  // the classes' returned_bytes, summed
  int mappers = 0;
  MapperStats by_mapper[kMaxMappers];
  // The process: kernel mappings now (from /proc/self/maps; -1 when it
  // cannot be read), and misuse reported so far.
  int64_t kernel_mappings = -1;
  uint64_t misuse_events = 0;
};

}  // namespace slabkit

#endif  // SLABKIT_STATS_CLASS_STATS_H_

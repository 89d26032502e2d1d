// A thread's cache entry for one class (ClassCache), as the fast paths see
// it, and the thread-local tables of them (ThreadTable), one per Config type.
#ifndef SLABKIT_MAGAZINE_CLASS_CACHE_H_
#define SLABKIT_MAGAZINE_CLASS_CACHE_H_

#include <cstddef>
#include <cstdint>

#include "absl/base/attributes.h"
#include "policy/cache.h"

namespace slabkit {
namespace magazine {

class Depot;

// Classes with ids below this are cached per thread; others always take the
// slow path (36 KiB of thread-local table per thread and Config).
inline constexpr uint32_t kCachedClasses = 256;

// One class on one thread, as the fast paths see it: two cache lines.
// Allocation touches only the first: the loaded magazine, this thread's
// counts and its countdown to the next sample. Release also reads the second: a
// copy of what its fast path checks an address against, so that it reads
// nothing but this entry and the page map. Offsets are 32-bit: they lie within
// a 4 MiB chunk, and 32-bit fields fold into the compares that use them.
struct alignas(64) ClassCache {
  void** top;    // next free slot of the loaded magazine
  void** base;   // its first slot: empty when top == base
  void** limit;  // one past its last slot: full when top == limit; all three
                 // are null until the thread first uses the class
  // This thread's allocations and releases of the class through its
  // magazines. Written by this thread only, with relaxed atomic stores (no
  // read-modify-write); read by any thread (stats), summed over threads.
  uint64_t allocations;
  uint64_t releases;
  uint32_t object_size;
  uint32_t zero_init;
  uint64_t divisor_magic;
  uint32_t data_offset;  // first span's offset in a chunk
  // Allocations to let pass before the next sample (guard/sampled.h's
  // countdown in objects): zero until the slow path starts it.
  int32_t sample_countdown;
  uint32_t data_bytes;  // bytes of spans in a chunk
  uint32_t span_mask;   // span size - 1
  uint64_t start_limit;  // slab/chunk.h
  // Object-state flavours: where the object state bytes are (slab/chunk.h).
  uint32_t state_offset;
  uint16_t objects_per_span;
  uint8_t span_shift;
  // Object-size layouts: where the object size records are.
  uint32_t size_offset;
};
static_assert(sizeof(ClassCache) == 128);
static_assert(offsetof(ClassCache, releases) ==
                      offsetof(ClassCache, allocations) + sizeof(uint64_t) &&
                  offsetof(ClassCache, object_size) ==
                      offsetof(ClassCache, releases) + sizeof(uint64_t),
              "the counts are contiguous (entries are reset around them)");

// Adds one to a count only this thread writes, which other threads read
// with relaxed atomic loads at any time. Not an atomic read-modify-write:
// with a single writer none is needed. On x86-64 it is one `incq` (an
// aligned 8-byte store there is single-copy atomic, so a reader sees the old
// count or the new); elsewhere a relaxed load and store.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void CountCall(uint64_t& counter) {
#if defined(__x86_64__)
  asm("incq %0" : "+m"(counter));
#else
  __atomic_store_n(&counter, counter + 1, __ATOMIC_RELAXED);
#endif
}

// What only the slow paths use, kept off the fast paths' cache lines.
struct Magazine;
struct ClassCacheCold {
  Magazine* previous;
  Depot* depot;
};

// The counts of one table's classes that no longer sit in a thread's
// entries: threads that exited or flushed. Process-wide, one per table.
struct TableTotals {
  CachedCounts exited[kCachedClasses];
};

// A thread's record of one of its tables, in the table's thread-local
// storage: linked into the process-wide registry of counts
// (thread_registry.h) while the thread caches, so that counts can be summed
// over threads.
struct ThreadRecord {
  ClassCache* classes;
  ClassCacheCold* cold;
  TableTotals* totals;
  ThreadRecord* prev;  // the registry's list
  ThreadRecord* next;
  ThreadRecord* next_of_thread;  // this thread's other tables
  bool linked;                   // in the registry
};

// This thread's table of one Config type, as the slow paths see it.
struct ThreadTableRef {
  ClassCache* classes;
  ClassCacheCold* cold;
  ThreadRecord* record;
  TableTotals* totals;
};

// The thread-local entries of the allocators of one Config type (Tag):
// allocators of different Configs never share them, so that no handle of
// one is served from another's magazines (or checked against another's
// layout). __thread (not thread_local): constant-initialized, so access is
// one %fs-relative address with no TLS wrapper call; initial-exec for the
// same reason in shared objects.
template <typename Tag>
struct ThreadTable {
  static __thread ClassCache classes[kCachedClasses]
      __attribute__((tls_model("initial-exec")));
  static __thread ClassCacheCold cold[kCachedClasses]
      __attribute__((tls_model("initial-exec")));
  static __thread ThreadRecord record
      __attribute__((tls_model("initial-exec")));
  static inline TableTotals totals = {};

  static ThreadTableRef Ref() { return {classes, cold, &record, &totals}; }
};

template <typename Tag>
__thread ClassCache ThreadTable<Tag>::classes[kCachedClasses];
template <typename Tag>
__thread ClassCacheCold ThreadTable<Tag>::cold[kCachedClasses];
template <typename Tag>
__thread ThreadRecord ThreadTable<Tag>::record;

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_CLASS_CACHE_H_

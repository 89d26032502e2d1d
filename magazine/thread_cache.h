// Per-thread magazines, one pair per class (Bonwick's "loaded" and
// "previous"), in a zero-initialized thread-local table indexed by class id.
//
// The fast paths take no lock, do no atomic read-modify-write and make no
// call (but memset for zero_init classes). A table entry of all zeros (a new
// thread, a class not used on it yet) and an exhausted magazine fail the same
// single comparison and send the caller to the slow path.
#ifndef SLABKIT_MAGAZINE_THREAD_CACHE_H_
#define SLABKIT_MAGAZINE_THREAD_CACHE_H_

#include <cstdint>
#include <cstring>

#include "absl/base/optimization.h"
#include "magazine/depot.h"
#include "magazine/magazine.h"
#include "slab/chunk.h"
#include "slab/page_map.h"

namespace slabkit {
namespace magazine {

// Classes with ids below this are cached per thread; others always take the
// slow path (16 KiB of thread-local table per thread).
inline constexpr uint32_t kCachedClasses = 256;

// One class on one thread: 64 bytes, a cache line. Besides the loaded
// magazine it holds a copy of what the release fast path checks an address
// against, so that path reads nothing but this line and the page map.
struct ClassCache {
  void** slots;          // the loaded magazine's slots
  uint32_t count;        // objects in it
  uint32_t capacity;     // 0 until the thread first uses the class
  uint64_t divisor_magic;
  uint32_t data_offset;  // first span's offset in a chunk
  uint32_t data_bytes;   // bytes of spans in a chunk
  uint32_t span_mask;    // span size - 1
  uint32_t span_limit;   // bytes of objects in a span
  uint32_t object_size;
  uint32_t zero_init;
  Magazine* previous;
  Depot* depot;
};
static_assert(sizeof(ClassCache) == 64);

// __thread (not thread_local): constant-initialized, so access is one
// %fs-relative load with no TLS wrapper call; initial-exec for the same
// reason in shared objects.
extern __thread ClassCache tls_classes[kCachedClasses]
    __attribute__((tls_model("initial-exec")));

// An object from this thread's magazine for class `id`, or nullptr: take the
// slow path.
inline void* TryAllocate(uint32_t id) {
  if (ABSL_PREDICT_FALSE(id >= kCachedClasses)) return nullptr;
  ClassCache& c = tls_classes[id];
  const uint32_t n = c.count;
  if (ABSL_PREDICT_FALSE(n == 0)) return nullptr;
  void* p = c.slots[n - 1];
  c.count = n - 1;
  if (ABSL_PREDICT_FALSE(c.zero_init != 0)) memset(p, 0, c.object_size);
  return p;
}

// Caches `p` for class `id` when it is certainly the start of an object of
// that class and not the object released last; false otherwise (the slow
// path then diagnoses, or makes room).
inline bool TryRelease(uint32_t id, void* p) {
  if (ABSL_PREDICT_FALSE(id >= kCachedClasses)) return false;
  ClassCache& c = tls_classes[id];
  const uint32_t n = c.count;
  if (ABSL_PREDICT_FALSE(n == c.capacity)) return false;  // full or unset
  if (ABSL_PREDICT_FALSE(slab::LookupClass(p) != id)) return false;
  // Offset from span 0; below it (metadata) wraps around and fails too.
  const uint64_t data = (reinterpret_cast<uintptr_t>(p) &
                         (slab::kChunkSize - 1)) - c.data_offset;
  const uint64_t in_span = data & c.span_mask;
  // A multiple of the object size iff the low half of the product is small
  // (see slab::ClassGeometry::divisor_magic).
  if (ABSL_PREDICT_FALSE(data >= c.data_bytes || in_span >= c.span_limit ||
                         in_span * c.divisor_magic >= c.divisor_magic)) {
    return false;
  }
  // The slot below the top; when n == 0, the magazine's null sentinel.
  if (ABSL_PREDICT_FALSE((c.slots + n)[-1] == p)) return false;
  c.slots[n] = p;
  c.count = n + 1;
  return true;
}

// What a class tells the slow paths about itself.
struct CachedClass {
  uint32_t id;
  const slab::ClassGeometry* geometry;
  bool zero_init;
  Depot* depot;
};

struct AllocateResult {
  void* object;  // nullptr with cached: out of memory
  bool cached;   // false: the class is not cached here; use the slab
};

// The slow half of allocation: swaps in the previous magazine, a full one
// from the depot, or refills from the slab.
AllocateResult AllocateSlow(const CachedClass& cls);

enum class ReleaseOutcome {
  kCached,
  kNotCached,   // use the slab
  kDoubleFree,  // p is the object this thread released last
};

// The slow half of release, for a `p` the caller has validated as an object
// start of the class: detects back-to-back double frees, and makes room by
// swapping magazines with the previous one or the depot.
ReleaseOutcome ReleaseSlow(const CachedClass& cls, void* p);

// Returns the calling thread's magazines of class `id` to its depot.
void FlushThreadClass(uint32_t id);

// Returns all of the calling thread's magazines to their depots. Runs by
// itself when a thread that used a cache exits.
void FlushThread();

// Objects cached by the calling thread for class `id`.
uint32_t ThreadCachedObjects(uint32_t id);

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_THREAD_CACHE_H_

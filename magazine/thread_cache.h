// Per-thread magazines, one pair per class (Bonwick's "loaded" and
// "previous"), in a zero-initialized thread-local table indexed by class id.
//
// The fast paths take no lock, do no atomic read-modify-write and make no
// call (but memset for zero_init classes). A table entry of all zeros (a new
// thread, a class not used on it yet) and an exhausted magazine fail the same
// single comparison and send the caller to the slow path.
#ifndef SLABKIT_MAGAZINE_THREAD_CACHE_H_
#define SLABKIT_MAGAZINE_THREAD_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "guard/sampled.h"
#include "magazine/depot.h"
#include "magazine/magazine.h"
#include "slab/chunk.h"
#include "slab/page_map.h"

namespace slabkit {
namespace magazine {

// Classes with ids below this are cached per thread; others always take the
// slow path (16 KiB of thread-local table per thread).
inline constexpr uint32_t kCachedClasses = 256;

// One class on one thread, as the fast paths see it: two cache lines.
// Allocation touches only the first: the loaded magazine and this thread's
// counts. Release also reads the second: a copy of what its fast path checks
// an address against, so that it reads nothing but this entry and the page
// map. Offsets are 32-bit: they lie within a 4 MiB chunk, and 32-bit fields
// fold into the compares that use them.
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
  uint32_t data_bytes;   // bytes of spans in a chunk
  uint32_t span_mask;    // span size - 1
  uint32_t span_limit;   // bytes of objects in a span
  // Hardened flavour: where the object state bytes are (slab/chunk.h).
  uint32_t state_offset;
  uint16_t objects_per_span;
  uint8_t span_shift;
};
static_assert(sizeof(ClassCache) == 128);
static_assert(offsetof(ClassCache, releases) ==
                      offsetof(ClassCache, allocations) + sizeof(uint64_t) &&
                  offsetof(ClassCache, object_size) ==
                      offsetof(ClassCache, releases) + sizeof(uint64_t),
              "the counts are contiguous (FlushEntry resets around them)");

// Adds one to a count only this thread writes, which other threads read
// with relaxed atomic loads at any time. Not an atomic read-modify-write:
// with a single writer none is needed. On x86-64 it is one `incq` (an
// aligned 8-byte store there is single-copy atomic, so a reader sees the old
// count or the new); elsewhere a relaxed load and store.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void Count(uint64_t& counter) {
#if defined(__x86_64__)
  asm("incq %0" : "+m"(counter));
#else
  __atomic_store_n(&counter, counter + 1, __ATOMIC_RELAXED);
#endif
}

// What only the slow paths use, kept off the fast paths' cache line.
struct ClassCacheCold {
  Magazine* previous;
  Depot* depot;
};

// __thread (not thread_local): constant-initialized, so access is one
// %fs-relative address with no TLS wrapper call; initial-exec for the same
// reason in shared objects.
extern __thread ClassCache tls_classes[kCachedClasses]
    __attribute__((tls_model("initial-exec")));
extern __thread ClassCacheCold tls_cold[kCachedClasses]
    __attribute__((tls_model("initial-exec")));

// This thread's entry for `id`, as a plain pointer: an empty asm hides its
// thread-local origin, so GCC keeps it in one register instead of rebuilding
// the %fs-relative address after stores (it reloads the thread pointer after
// any store). Costs no instruction.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline ClassCache& EntryFor(uint32_t id) {
  ClassCache* entry = &tls_classes[id];
  asm("" : "+r"(entry));
  return *entry;
}

// Object states (hardened flavour), one byte per object in the chunk's
// metadata. Relaxed atomics: each byte is its own object's, and only its
// value matters.
inline constexpr uint8_t kObjectNeverHeld = 0;  // never handed out
inline constexpr uint8_t kObjectHeld = 1;       // the program holds it
inline constexpr uint8_t kObjectReleased = 2;   // released since

// The state byte of the object `index` of the span `data` falls in.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint8_t* StateOf(const ClassCache& c,
                                                     const void* p,
                                                     uint32_t data,
                                                     uint64_t index) {
  auto* chunk = reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(p) &
                                           ~(slab::kChunkSize - 1));
  return chunk + c.state_offset + (data >> c.span_shift) * c.objects_per_span +
         index;
}

// The fast paths. Each takes the slow path as a callable and returns through
// it, so every exit is a return or a tail call: the fast path needs no stack
// frame and saves no register. kStates selects the hardened flavour, which
// also keeps each object's state.

// An object from this thread's magazine for class `id`, else slow().
// kSample: count the allocation towards the next guarded sample (hardened
// flavour), which the slow path then serves.
template <bool kStates, bool kSample = kStates, bool kCount = true,
          typename Slow>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* Allocate(uint32_t id, Slow&& slow) {
  if (ABSL_PREDICT_FALSE(id >= kCachedClasses)) return slow();
  ClassCache& c = EntryFor(id);
  if constexpr (kSample) {
    if (ABSL_PREDICT_FALSE(guard::SampleTick(c.object_size))) return slow();
  }
  void** top = c.top;
  if (ABSL_PREDICT_FALSE(top == c.base)) return slow();  // empty, or unset
  void* p = *--top;
  c.top = top;
  if constexpr (kCount) Count(c.allocations);
  if constexpr (kStates) {
    const uint32_t data =
        (static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)) &
         (slab::kChunkSize - 1)) -
        c.data_offset;
    const uint64_t index = static_cast<uint64_t>(
        (static_cast<unsigned __int128>(data & c.span_mask) *
         c.divisor_magic) >>
        64);
    __atomic_store_n(StateOf(c, p, data, index), kObjectHeld, __ATOMIC_RELAXED);
  }
  if (ABSL_PREDICT_FALSE(c.zero_init != 0)) return memset(p, 0, c.object_size);
  return p;
}

// Caches `p` for class `id` when it is certainly the start of an object of
// that class and not the object released last (hardened: and the program
// holds it); otherwise slow(), which diagnoses misuse or makes room.
//
// ReleaseOwned is the part after the page-map check, for a caller that read
// the page map itself and found `id` there (free() knows the class only from
// the address). `id` must be below kCachedClasses.
template <bool kStates, bool kCount = true, typename Slow>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReleaseOwned(uint32_t id, void* p,
                                                      Slow&& slow) {
  ClassCache& c = EntryFor(id);
  void** top = c.top;
  if (ABSL_PREDICT_FALSE(top == c.limit)) return slow();  // full, or unset
  // Offset from span 0 in the chunk; below it (metadata) wraps around.
  const uint32_t data = (static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)) &
                         (slab::kChunkSize - 1)) -
                        c.data_offset;
  const uint32_t in_span = data & c.span_mask;
  // A multiple of the object size iff the low half of the product is small
  // (see slab::ClassGeometry::divisor_magic); the hardened flavour also
  // takes the high half, the object's index, for its state byte.
  uint64_t index = 0;
  if constexpr (kStates) {
    const unsigned __int128 product =
        static_cast<unsigned __int128>(in_span) * c.divisor_magic;
    if (ABSL_PREDICT_FALSE(data >= c.data_bytes || in_span >= c.span_limit ||
                           static_cast<uint64_t>(product) >= c.divisor_magic)) {
      return slow();
    }
    index = static_cast<uint64_t>(product >> 64);
  } else {
    if (ABSL_PREDICT_FALSE(data >= c.data_bytes || in_span >= c.span_limit ||
                           uint64_t{in_span} * c.divisor_magic >=
                               c.divisor_magic)) {
      return slow();
    }
  }
  // The object below the top; the magazine's null sentinel when empty.
  if (ABSL_PREDICT_FALSE(top[-1] == p)) return slow();
  if constexpr (kStates) {
    // Held -> released, atomically: of two racing releases one wins, and a
    // failed exchange changes nothing for the slow path to misread.
    uint8_t* state = StateOf(c, p, data, index);
    uint8_t held = kObjectHeld;
    if (ABSL_PREDICT_FALSE(!__atomic_compare_exchange_n(
            state, &held, kObjectReleased, /*weak=*/false, __ATOMIC_RELAXED,
            __ATOMIC_RELAXED))) {
      return slow();  // not held: the slow path says why
    }
  }
  *top = p;
  c.top = top + 1;
  if constexpr (kCount) Count(c.releases);
}

template <bool kStates, bool kCount = true, typename Slow>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void Release(uint32_t id, void* p,
                                                 Slow&& slow) {
  if (ABSL_PREDICT_FALSE(id >= kCachedClasses)) return slow();
  // Only the id is compared: nothing the chunk's registration published is
  // read here, so a relaxed load is enough. The page map goes first: GCC
  // does not reuse a thread-pointer read across atomic loads.
  if (ABSL_PREDICT_FALSE(slab::LookupClass(p, std::memory_order_relaxed) !=
                         id)) {
    return slow();
  }
  return ReleaseOwned<kStates, kCount>(id, p, slow);
}

// The fast paths as tests, for callers that continue differently (the slow
// paths among them, so this one does not count towards sampling).
template <bool kStates = false>
inline void* TryAllocate(uint32_t id) {
  return Allocate<kStates, false>(id,
                                  [] { return static_cast<void*>(nullptr); });
}
template <bool kStates = false>
inline bool TryRelease(uint32_t id, void* p) {
  bool cached = true;
  Release<kStates>(id, p, [&cached] { cached = false; });
  return cached;
}

// What a class tells the slow paths about itself.
struct CachedClass {
  uint32_t id;
  const slab::ClassGeometry* geometry;
  bool zero_init;
  bool states;  // the hardened flavour's object states are kept
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

// Returns all of the calling thread's magazines to their depots; it caches
// again on its next call. The same runs by itself, once, when a thread that
// used a cache exits (a pthread key destructor); from then on the thread
// caches nothing: whatever it allocates or releases later in its exit (in
// other keys' destructors, or glibc's own frees) goes to the slab.
void FlushThread();

// True when this thread's entry for `id` is set up (its fast paths run).
inline bool EntryReady(uint32_t id) {
  return id < kCachedClasses && tls_classes[id].limit != nullptr;
}

// Fork safety: takes (then releases) the lock of the registry of threads,
// so that a child forked in between finds it free. The child releases it
// with UnlockRegistryInForkChild, which also forgets the parent's other
// threads (their counts as of the fork stay counted; what they had cached
// stays unused) and their readers.
void LockRegistryForFork();
void UnlockRegistryAfterFork();
void UnlockRegistryInForkChild();

// Objects cached by the calling thread for class `id`.
uint32_t ThreadCachedObjects(uint32_t id);

// Allocations and releases of class `id` through magazines, by every thread
// that ever used it (exact: live threads' counts plus those of threads that
// exited or flushed, each count as it was at one moment during the read).
// Releases are read before allocations, so allocations - releases is never
// below the objects that stayed live throughout the read.
struct CachedCounts {
  uint64_t allocations = 0;
  uint64_t releases = 0;
};

// Async-signal-safe: takes no lock, allocates nothing, makes no system call.
// False (and *out untouched) when the counts could not be read consistently
// in kCountAttempts tries: a thread was exiting or flushing all along, or
// the signal interrupted this very thread in such a change.
inline constexpr int kCountAttempts = 1000;
bool TryCountsOf(uint32_t id, CachedCounts* out);

// The same, retried until it succeeds: from any thread, but not from a
// signal handler (it could wait for the thread the signal interrupted).
CachedCounts CountsOf(uint32_t id);

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_THREAD_CACHE_H_

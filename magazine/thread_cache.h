// Per-thread magazines, one pair per class (Bonwick's "loaded" and
// "previous"), in a zero-initialized thread-local table per Config type
// (class_cache.h) indexed by class id: the fast paths, and the slow paths
// that swap magazines with the class's depot.
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
#include "base/memory_tool.h"
#include "guard/sampled.h"
#include "magazine/class_cache.h"
#include "magazine/depot.h"
#include "magazine/magazine.h"
#include "magazine/thread_registry.h"
#include "policy/cache.h"
#include "slab/chunk.h"
#include "slab/page_map.h"

namespace slabkit {
namespace magazine {

// This thread's entry for `id` in Tag's table, as a plain pointer: an empty
// asm hides its thread-local origin, so GCC keeps it in one register instead
// of rebuilding the %fs-relative address after stores (it reloads the thread
// pointer after any store). Costs no instruction.
template <typename Tag>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline ClassCache& EntryFor(uint32_t id) {
  ClassCache* entry = &ThreadTable<Tag>::classes[id];
  asm("" : "+r"(entry));
  return *entry;
}

// The object `index` of the span `data` falls in, as its number among the
// chunk's object records (state bytes, size records).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t RecordOf(const ClassCache& c,
                                                      uint32_t data,
                                                      uint64_t index) {
  return (data >> c.span_shift) * c.objects_per_span + index;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline char* ChunkBase(const void* p) {
  return reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) &
                                 ~(slab::kChunkSize - 1));
}

// An object the fast paths hand out or take back, for a caller that checks
// objects itself (with object states only): its state byte, its size record
// (object-size layouts only) and its slot's size.
struct ObjectRecord {
  uint8_t* state;
  uint32_t* size;
  uint32_t slot_size;
};

ABSL_ATTRIBUTE_ALWAYS_INLINE inline ObjectRecord RecordFor(const ClassCache& c,
                                                           const void* p,
                                                           uint32_t data,
                                                           uint64_t index) {
  char* chunk = ChunkBase(p);
  const uint64_t record = RecordOf(c, data, index);
  return {reinterpret_cast<uint8_t*>(chunk + c.state_offset) + record,
          reinterpret_cast<uint32_t*>(chunk + c.size_offset) + record,
          c.object_size};
}

// The hooks of a caller that checks nothing: objects are held in state
// kObjectHeld.
struct NoObjectChecks {
  void OnHandOut(void*, const ObjectRecord&) const {}
  uint8_t OnTakeBack(void*, const ObjectRecord&) const {
    return slab::kObjectHeld;
  }
  void OnTaken(void*, const ObjectRecord&) const {}
};

// What the fast paths do besides caching, as bits of their kFlags.
enum FastPath : uint32_t {
  kCountCalls = 1u << 0,   // count calls per thread, for exact stats
  kKeepStates = 1u << 1,   // keep each object's state (Mitigations::
                           // kObjectStates)
  kSample = 1u << 2,       // count allocations down to the next sample
                           // (Mitigations::kHeapSamples), which the slow
                           // path then serves
  kRandomReuse = 1u << 3,  // bury each released object a few places down
                           // the magazine (Mitigations::kRandomReuse)
  kZeroInit = 1u << 4,     // classes may be zero_init: allocation tests the
                           // entry's flag (ZeroInitClasses, policy/cache.h)
};

// Per thread: the generator behind kRandomReuse's choices (an LCG; its high
// bits are used).
extern __thread uint64_t tls_reuse_rng
    __attribute__((tls_model("initial-exec")));

// The fast paths. Each takes the slow path as a callable and returns through
// it, so every exit is a return or a tail call: the fast path needs no stack
// frame and saves no register.

// An object from the magazine loaded in entry `c`, else slow(). With
// object states, checks.OnHandOut(p, record) runs once p is held (the
// caller's checks; slow() must do them itself).
template <uint32_t kFlags, typename Slow, typename Checks = NoObjectChecks>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* AllocateFromEntry(
    ClassCache& c, Slow&& slow, const Checks& checks = {}) {
  constexpr bool kStates = (kFlags & kKeepStates) != 0;
  if constexpr ((kFlags & kSample) != 0) {
    // One subtraction of an immediate from memory and a branch.
    if (ABSL_PREDICT_FALSE(--c.sample_countdown < 0)) return slow();
  }
  void** top = c.top;
  if (ABSL_PREDICT_FALSE(top == c.base)) return slow();  // empty, or unset
  void* p = *--top;
  c.top = top;
  // A memory tool's leak check finds no stale copy of p (a live object's
  // only remaining pointer could be this one).
  if constexpr (memory_tool::kEnabled) *top = nullptr;
  if constexpr ((kFlags & kCountCalls) != 0) CountCall(c.allocations);
  if constexpr (kStates) {
    const uint32_t data =
        (static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)) &
         (slab::kChunkSize - 1)) -
        c.data_offset;
    const uint64_t index = slab::ObjectIndex(
        slab::OffsetProduct(data & c.span_mask, c.divisor_magic));
    const ObjectRecord record = RecordFor(c, p, data, index);
    __atomic_store_n(record.state, slab::kObjectHeld, __ATOMIC_RELAXED);
    checks.OnHandOut(p, record);
  }
  if constexpr ((kFlags & kZeroInit) != 0) {
    if (ABSL_PREDICT_FALSE(c.zero_init != 0)) {
      memory_tool::AboutToWrite(p, c.object_size);
      return memset(p, 0, c.object_size);
    }
  }
  return p;
}

// An object from this thread's magazine for class `id` in Tag's table, else
// slow().
template <typename Tag, uint32_t kFlags, typename Slow,
          typename Checks = NoObjectChecks>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* Allocate(uint32_t id, Slow&& slow,
                                                   const Checks& checks = {}) {
  if (ABSL_PREDICT_FALSE(id >= kCachedClasses)) return slow();
  return AllocateFromEntry<kFlags>(EntryFor<Tag>(id), slow, checks);
}

// Caches `p` for class `id` when it is certainly the start of an object of
// that class and not the object released last (kStates: and the program
// holds it); otherwise slow(), which diagnoses misuse or makes room.
//
// ReleaseOwned is the part after the page-map check, for a caller that read
// the page map itself and found `id` there (free() knows the class only from
// the address). `id` must be below kCachedClasses.
//
// With object states, checks.OnTakeBack(p, record) runs once p is known to
// be an object start, and returns the state byte a held object has (the
// caller may keep more in it); p is taken when its state is that byte,
// atomically made released, and checks.OnTaken(p, record) then runs. slow()
// must check what the fast path did not.
template <typename Tag, uint32_t kFlags, typename Slow,
          typename Checks = NoObjectChecks>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReleaseOwned(
    uint32_t id, void* p, Slow&& slow, const Checks& checks = {}) {
  constexpr bool kStates = (kFlags & kKeepStates) != 0;
  ClassCache& c = EntryFor<Tag>(id);
  void** top = c.top;
  if (ABSL_PREDICT_FALSE(top == c.limit)) return slow();  // full, or unset
  // Offset from span 0 in the chunk; below it (metadata) wraps around.
  const uint32_t data = (static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)) &
                         (slab::kChunkSize - 1)) -
                        c.data_offset;
  const uint32_t in_span = data & c.span_mask;
  // In a span, and there the start of one of its objects: one multiply and
  // a compare (slab/chunk.h, start_limit); with kStates the same multiply
  // also gives the object's index, for its state byte.
  uint64_t index = 0;
  if constexpr (kStates) {
    const unsigned __int128 product =
        slab::OffsetProduct(in_span, c.divisor_magic);
    if (ABSL_PREDICT_FALSE(data >= c.data_bytes ||
                           !slab::IsStartInSpan(product, c.start_limit))) {
      return slow();
    }
    index = slab::ObjectIndex(product);
  } else {
    if (ABSL_PREDICT_FALSE(data >= c.data_bytes ||
                           !slab::IsStartInSpanOffset(in_span, c.divisor_magic,
                                                      c.start_limit))) {
      return slow();
    }
  }
  // The object below the top; the magazine's null sentinel when empty.
  if (ABSL_PREDICT_FALSE(top[-1] == p)) return slow();
  if constexpr (kStates) {
    // Held -> released, atomically: of two racing releases one wins, and a
    // failed exchange changes nothing for the slow path to misread.
    const ObjectRecord record = RecordFor(c, p, data, index);
    uint8_t held = checks.OnTakeBack(p, record);
    if (ABSL_PREDICT_FALSE(!__atomic_compare_exchange_n(
            record.state, &held, slab::kObjectReleased, /*weak=*/false,
            __ATOMIC_RELAXED, __ATOMIC_RELAXED))) {
      return slow();  // not held: the slow path says why
    }
    checks.OnTaken(p, record);
  }
  *top = p;
  if constexpr ((kFlags & kRandomReuse) != 0) {
    // Swap p with one of the up to 8 objects below it, chosen at random, so
    // that the next allocation does not get it (but when it is alone).
    const uint64_t below = static_cast<uint64_t>(top - c.base);
    const uint64_t rng = tls_reuse_rng * 6364136223846793005u + 1;
    tls_reuse_rng = rng;
    const uint64_t depth =
        ((rng >> 32) * (below < 8 ? below : 8)) >> 32;  // [0, min(below, 8))
    if (ABSL_PREDICT_TRUE(below != 0)) {
      void** other = top - 1 - depth;
      *top = *other;
      *other = p;
    }
  }
  c.top = top + 1;
  if constexpr ((kFlags & kCountCalls) != 0) CountCall(c.releases);
}

template <typename Tag, uint32_t kFlags, typename Slow>
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
  return ReleaseOwned<Tag, kFlags>(id, p, slow);
}

// The fast paths as tests, for callers that continue differently.
template <typename Tag, uint32_t kFlags = kCountCalls | kZeroInit>
inline void* TryAllocate(uint32_t id) {
  return Allocate<Tag, kFlags>(id, [] { return static_cast<void*>(nullptr); });
}
template <typename Tag, uint32_t kFlags = kCountCalls>
inline bool TryRelease(uint32_t id, void* p) {
  bool cached = true;
  Release<Tag, kFlags>(id, p, [&cached] { cached = false; });
  return cached;
}

// What a class tells the slow paths about itself.
struct CachedClass {
  uint32_t id;
  const slab::ClassGeometry* geometry;
  bool zero_init;
  bool states;  // object states are kept (Mitigations::kObjectStates)
  Depot* depot;
};

// The slow half of allocation, on the calling thread's `table`: swaps in the
// previous magazine, a full one from the depot, or refills from the slab.
AllocateResult AllocateSlow(const ThreadTableRef& table,
                            const CachedClass& cls);

// The slow half of release, for a `p` the caller has validated as an object
// start of the class: detects back-to-back double frees, and makes room by
// swapping magazines with the previous one or the depot.
ReleaseOutcome ReleaseSlow(const ThreadTableRef& table, const CachedClass& cls,
                           void* p);

// Returns the calling thread's magazines of class `id` to its depot.
void FlushThreadClass(const ThreadTableRef& table, uint32_t id);

// Returns every magazine of a thread's table to the depots and resets its
// entries (their counts folded already). For the registry, at a flush or
// the thread's exit.
void ReturnMagazines(const ThreadRecord& record);

// True when this thread's entry for `id` is set up (its fast paths run).
inline bool EntryReady(const ThreadTableRef& table, uint32_t id) {
  return id < kCachedClasses && table.classes[id].limit != nullptr;
}

// On the allocation slow path of class `id` (objects of `object_size`):
// whether this allocation is sampled, by the entry's countdown (kSample),
// or for an id with no entry, by the thread's byte countdown.
bool TakeSample(const ThreadTableRef& table, uint32_t id, size_t object_size);

// Restarts the countdowns of the calling thread's entries in `table`.
void RestartSampling(const ThreadTableRef& table);

// Objects cached by the calling thread for class `id`.
uint32_t ThreadCachedObjects(const ThreadTableRef& table, uint32_t id);

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_THREAD_CACHE_H_

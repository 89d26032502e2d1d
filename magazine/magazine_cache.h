// MagazineCache: the Cache policy that puts per-thread magazines and a
// per-class depot in front of a SlabAllocator's slabs.
//
// A Cache policy provides:
//   struct PerClass, constructed from a CacheSetup;
//   template <class F> static void* Allocate(uint32_t id, F&& slow);
//   template <class F> static void Release(uint32_t id, void* p, F&& slow);
//   template <class F> static void ReleaseOwned(uint32_t id, void* p, F&&
//   slow);
//       the inline fast paths, which fall back to (and return through)
//       slow(); ReleaseOwned is Release for a caller that found `id` (below
//       magazine::kCachedClasses) in the page map for `p` itself
//   static magazine::AllocateResult AllocateSlow(PerClass&);
//   static magazine::ReleaseOutcome ReleaseSlow(PerClass&, void* p);
//   static void Flush(PerClass&);
//       this thread's cache and the depot, to the slab
//   static CacheStats Stats(const PerClass&);
//   static magazine::CachedCounts Counts(const PerClass&);
//       the allocations and releases its fast paths served, all threads
//   static bool TryCounts(const PerClass&, magazine::CachedCounts*);
//       the same, async-signal-safe; false when it could not read them
//   static void LockForFork(PerClass&);
//   static void UnlockAfterFork(PerClass&);
//       take and release the class's cache locks around fork()
//   static constexpr bool kTracksStates;  its fast paths keep object states
#ifndef SLABKIT_MAGAZINE_MAGAZINE_CACHE_H_
#define SLABKIT_MAGAZINE_MAGAZINE_CACHE_H_

#include <cstdint>

#include "absl/base/attributes.h"
#include "magazine/depot.h"
#include "magazine/thread_cache.h"
#include "slab/chunk.h"
#include "slab/metadata_arena.h"

namespace slabkit {

// What a class gives its cache when it is registered.
struct CacheSetup {
  uint32_t id;
  const slab::ClassGeometry* geometry;  // lives as long as the class
  bool zero_init;
  magazine::DepotOptions options;  // resolved
  slab::MetadataArena* arena;      // for magazines
  magazine::SlabCallbacks slab;
};

struct CacheStats {
  uint64_t depot_objects = 0;   // in the depot's full magazines
  uint64_t thread_objects = 0;  // in the calling thread's magazines
  uint64_t magazines = 0;       // made so far
  uint64_t depot_exchanges = 0;
  uint32_t magazine_capacity = 0;
};

// kStates: the hardened flavour, which also keeps every object's state (its
// Layout must have object_states).
// kCount: the fast paths count calls per thread (exact stats); without it
// the allocations and releases the caches serve go uncounted.
template <bool kStates, bool kCount = true>
struct MagazineCacheT {
  static constexpr bool kTracksStates = kStates;

  class PerClass {
   public:
    explicit PerClass(const CacheSetup& setup)
        : depot_(setup.options, setup.arena, setup.slab),
          cached_{setup.id, setup.geometry, setup.zero_init, kStates, &depot_} {
    }

   private:
    friend struct MagazineCacheT;
    magazine::Depot depot_;
    const magazine::CachedClass cached_;
  };

  template <typename Slow>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void* Allocate(uint32_t id, Slow&& slow) {
    return magazine::Allocate<kStates, kStates, kCount>(id, slow);
  }
  template <typename Slow>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void Release(uint32_t id, void* p,
                                                   Slow&& slow) {
    return magazine::Release<kStates, kCount>(id, p, slow);
  }
  template <typename Slow>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void ReleaseOwned(uint32_t id, void* p,
                                                        Slow&& slow) {
    return magazine::ReleaseOwned<kStates, kCount>(id, p, slow);
  }
  static magazine::AllocateResult AllocateSlow(PerClass& c) {
    return magazine::AllocateSlow(c.cached_);
  }
  static magazine::ReleaseOutcome ReleaseSlow(PerClass& c, void* p) {
    return magazine::ReleaseSlow(c.cached_, p);
  }
  static void Flush(PerClass& c) {
    magazine::FlushThreadClass(c.cached_.id);
    c.depot_.Drain();
  }
  static magazine::CachedCounts Counts(const PerClass& c) {
    return magazine::CountsOf(c.cached_.id);
  }
  static bool TryCounts(const PerClass& c, magazine::CachedCounts* out) {
    return magazine::TryCountsOf(c.cached_.id, out);
  }
  static void LockForFork(PerClass& c) { c.depot_.LockForFork(); }
  static void UnlockAfterFork(PerClass& c) { c.depot_.UnlockAfterFork(); }
  // Whether the fast path ran for this thread and class (and counted the
  // allocation towards sampling).
  static bool FastPathRan(const PerClass& c) {
    return magazine::EntryReady(c.cached_.id);
  }
  static CacheStats Stats(const PerClass& c) {
    const magazine::Depot::Stats d = c.depot_.stats();
    CacheStats s;
    s.depot_objects = d.cached_objects;
    s.thread_objects = magazine::ThreadCachedObjects(c.cached_.id);
    s.magazines = d.magazines_made;
    s.depot_exchanges = d.exchanges;
    s.magazine_capacity = c.depot_.capacity();
    return s;
  }
};

using MagazineCache = MagazineCacheT<false>;
using HardenedMagazineCache = MagazineCacheT<true>;
// For measuring what counting costs (benchmarks/fast_path_benchmark).
using UncountedMagazineCache = MagazineCacheT<false, false>;

// Caches nothing: every call reaches the class's slab under its lock (and
// the allocator keeps object states there, when the layout has them).
struct DirectCache {
  static constexpr bool kTracksStates = false;

  struct PerClass {
    explicit PerClass(const CacheSetup&) {}
  };
  template <typename Slow>
  static void* Allocate(uint32_t, Slow&& slow) {
    return slow();
  }
  template <typename Slow>
  static void Release(uint32_t, void*, Slow&& slow) {
    return slow();
  }
  template <typename Slow>
  static void ReleaseOwned(uint32_t, void*, Slow&& slow) {
    return slow();
  }
  static magazine::AllocateResult AllocateSlow(PerClass&) {
    return {nullptr, false};
  }
  static magazine::ReleaseOutcome ReleaseSlow(PerClass&, void*) {
    return magazine::ReleaseOutcome::kNotCached;
  }
  static void Flush(PerClass&) {}
  static magazine::CachedCounts Counts(const PerClass&) { return {}; }
  static bool TryCounts(const PerClass&, magazine::CachedCounts* out) {
    *out = {};
    return true;
  }
  static void LockForFork(PerClass&) {}
  static void UnlockAfterFork(PerClass&) {}
  static bool FastPathRan(const PerClass&) { return false; }
  static CacheStats Stats(const PerClass&) { return {}; }
};

}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_MAGAZINE_CACHE_H_

// The Cache policies of the magazine layer (the contract is policy/cache.h):
// MagazineCache puts per-thread magazines and a per-class depot in front of a
// SlabAllocator's slabs; DirectCache caches nothing.
//
// Each is a template of the allocator's Config: it keeps object states and
// counts allocations towards guarded sampling as the Config's mitigations
// say, and uses the Config's own thread-local table (ThreadTable<Config>).
#ifndef SLABKIT_MAGAZINE_MAGAZINE_CACHE_H_
#define SLABKIT_MAGAZINE_MAGAZINE_CACHE_H_

#include <cstdint>

#include "absl/base/attributes.h"
#include "guard/sampled.h"
#include "magazine/depot.h"
#include "magazine/thread_cache.h"
#include "magazine/thread_registry.h"
#include "policy/cache.h"
#include "policy/mitigations.h"

namespace slabkit {

// kCountFastPath: the fast paths count calls per thread (exact stats);
// without it the calls they serve go uncounted (the slow paths still count
// theirs), which only a measurement of what counting costs wants.
template <typename Config, bool kCountFastPath = true>
struct MagazineCacheT {
  static constexpr bool kStates =
      Has(Config::kMitigations, Mitigations::kObjectStates);
  // What the fast paths do, from the mitigations.
  static constexpr uint32_t kFastPath =
      (kCountFastPath ? uint32_t{magazine::kCountCalls} : 0u) |
      (kStates ? uint32_t{magazine::kKeepStates} : 0u) |
      (Samples(Config::kMitigations) ? uint32_t{magazine::kSample} : 0u) |
      (Has(Config::kMitigations, Mitigations::kRandomReuse)
           ? uint32_t{magazine::kRandomReuse}
           : 0u) |
      (ZeroInitClasses<Config>() ? uint32_t{magazine::kZeroInit} : 0u);
  static constexpr uint32_t kCachedIds = magazine::kCachedClasses;
  using Table = magazine::ThreadTable<Config>;

  class PerClass {
   public:
    explicit PerClass(const CacheSetup& setup)
        : depot_(magazine::ResolveDepotOptions(
                     {setup.magazine_capacity, setup.depot_magazines},
                     setup.geometry->object_size),
                 setup.arena, setup.slab),
          cached_{setup.id, setup.geometry, setup.zero_init, kStates, &depot_} {
      if constexpr ((kFastPath & magazine::kSample) != 0) {
        guard::AddCountdownRestart(
            [] { magazine::RestartSampling(Table::Ref()); });
      }
    }

   private:
    friend struct MagazineCacheT;
    magazine::Depot depot_;
    const magazine::CachedClass cached_;
  };

  template <typename Slow>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void* Allocate(uint32_t id, Slow&& slow) {
    return magazine::Allocate<Config, kFastPath>(id, slow);
  }
  // With object states, the fast paths may run a caller's checks of each
  // object they hand out or take back (magazine::ObjectRecord; Checks as
  // magazine::NoObjectChecks). malloc's block checks use them.
  using ObjectRecord = magazine::ObjectRecord;
  template <typename Slow, typename Checks>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void* Allocate(uint32_t id, Slow&& slow,
                                                     const Checks& checks) {
    static_assert(kStates, "object checks need Mitigations::kObjectStates");
    return magazine::Allocate<Config, kFastPath>(id, slow, checks);
  }
  template <typename Slow, typename Checks>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void ReleaseOwned(uint32_t id, void* p,
                                                        Slow&& slow,
                                                        const Checks& checks) {
    static_assert(kStates, "object checks need Mitigations::kObjectStates");
    return magazine::ReleaseOwned<Config, kFastPath>(id, p, slow, checks);
  }
  template <typename Slow>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void Release(uint32_t id, void* p,
                                                   Slow&& slow) {
    return magazine::Release<Config, kFastPath>(id, p, slow);
  }
  template <typename Slow>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void ReleaseOwned(uint32_t id, void* p,
                                                        Slow&& slow) {
    return magazine::ReleaseOwned<Config, kFastPath>(id, p, slow);
  }
  static AllocateResult AllocateSlow(PerClass& c) {
    return magazine::AllocateSlow(Table::Ref(), c.cached_);
  }
  static ReleaseOutcome ReleaseSlow(PerClass& c, void* p) {
    return magazine::ReleaseSlow(Table::Ref(), c.cached_, p);
  }
  static void Flush(PerClass& c) {
    magazine::FlushThreadClass(Table::Ref(), c.cached_.id);
    c.depot_.Drain();
  }
  static void Decay(PerClass& c) { c.depot_.Decay(); }
  static CachedCounts Counts(const PerClass& c) {
    return magazine::CountsOf(&Table::totals, c.cached_.id);
  }
  static bool TryCounts(const PerClass& c, CachedCounts* out) {
    return magazine::TryCountsOf(&Table::totals, c.cached_.id, out);
  }
  // The depot is lock-free: a fork finds no lock of its held.
  static void LockForFork(PerClass&) {}
  static void UnlockAfterFork(PerClass&) {}
  static bool TakeSample(PerClass& c, size_t object_size) {
    return magazine::TakeSample(Table::Ref(), c.cached_.id, object_size);
  }
  static CacheStats Stats(const PerClass& c) {
    const magazine::Depot::Stats d = c.depot_.stats();
    CacheStats s;
    s.depot_objects = d.cached_objects;
    s.thread_objects =
        magazine::ThreadCachedObjects(Table::Ref(), c.cached_.id);
    s.magazines = d.magazines_made;
    s.depot_exchanges = d.exchanges;
    s.magazine_capacity = c.depot_.capacity();
    return s;
  }
  static uint32_t MagazineCapacity(size_t object_size) {
    return magazine::ResolveDepotOptions({}, object_size).magazine_capacity;
  }
};

template <typename Config>
using MagazineCache = MagazineCacheT<Config>;
// For measuring what counting costs (benchmarks/fast_path_benchmark).
template <typename Config>
using FastPathUncountedMagazineCache = MagazineCacheT<Config, false>;

// Caches nothing: every call reaches the class's slab under its lock (and
// the allocator keeps object states there, when the Config has them).
template <typename Config>
struct DirectCache {
  static constexpr uint32_t kCachedIds = 0;

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
  static AllocateResult AllocateSlow(PerClass&) { return {nullptr, false}; }
  static ReleaseOutcome ReleaseSlow(PerClass&, void*) {
    return ReleaseOutcome::kNotCached;
  }
  static void Flush(PerClass&) {}
  static void Decay(PerClass&) {}
  static CachedCounts Counts(const PerClass&) { return {}; }
  static bool TryCounts(const PerClass&, CachedCounts* out) {
    *out = {};
    return true;
  }
  static void LockForFork(PerClass&) {}
  static void UnlockAfterFork(PerClass&) {}
  // No fast path counts: every allocation counts its bytes here.
  static bool TakeSample(PerClass&, size_t object_size) {
    return guard::TakeByteSample(static_cast<uint32_t>(object_size));
  }
  static CacheStats Stats(const PerClass&) { return {}; }
  static uint32_t MagazineCapacity(size_t) { return 0; }
};

}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_MAGAZINE_CACHE_H_

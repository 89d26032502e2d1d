// The Cache policy: what sits between a SlabAllocator's API and each class's
// locked slab (magazine/magazine_cache.h has the per-thread magazines;
// DirectCache there caches nothing).
//
// A Config names its cache as a template of the Config:
//   template <typename C> using Cache = slabkit::MagazineCache<C>;
// so that the cache follows the Config's mitigations (policy/mitigations.h)
// and keeps per-thread state of its own for each Config type: allocators of
// two Configs never share a thread's cache entries.
//
// A Cache policy C provides (CheckCache<C>() names what is missing):
//   struct PerClass;  constructible from const CacheSetup&
//   template <class F> static void* Allocate(uint32_t id, F&& slow);
//   template <class F> static void Release(uint32_t id, void* p, F&& slow);
//   template <class F> static void ReleaseOwned(uint32_t id, void* p,
//                                               F&& slow);
//       the inline fast paths, which fall back to (and return through)
//       slow(); ReleaseOwned is Release for a caller that found `id`
//       (below kCachedIds) in the page map for `p` itself
//   static AllocateResult AllocateSlow(PerClass&);
//   static ReleaseOutcome ReleaseSlow(PerClass&, void* p);
//       the slow halves: refill or make room; ReleaseSlow's `p` is validated
//       as an object start of the class
//   static void Flush(PerClass&);
//       the calling thread's cache of the class and its shared store, to the
//       slab
//   static void Decay(PerClass&);
//       one decay pass (allocator/decay.h): what the shared store held idle
//       since the previous pass, to the slab
//   static CacheStats Stats(const PerClass&);
//   static CachedCounts Counts(const PerClass&);
//       the allocations and releases its fast paths served, all threads
//   static bool TryCounts(const PerClass&, CachedCounts*);
//       the same, async-signal-safe; false when it could not read them
//   static bool TakeSample(PerClass&, size_t object_size);
//       on the allocation slow path: whether this allocation of the class
//       is to be sampled (guard/sampled.h), counting it where its fast path
//       did not (a cache that keeps countdowns of its own registers their
//       restart with guard::AddCountdownRestart)
//   static void LockForFork(PerClass&);
//   static void UnlockAfterFork(PerClass&);
//       take and release the class's cache locks around fork()
//   static constexpr uint32_t kCachedIds;
//       ids at or above it always take the slow paths
//   static uint32_t MagazineCapacity(size_t object_size);
//       objects one thread caches of a class by default (0: none)
#ifndef SLABKIT_POLICY_CACHE_H_
#define SLABKIT_POLICY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "policy/contract.h"
#include "slab/chunk.h"
#include "slab/metadata_arena.h"

namespace slabkit {

// How a cache reaches its class's slab (plain function pointers, called on
// slow paths only, never with a cache lock held).
struct SlabCallbacks {
  // Takes up to n objects from the slab into out; returns how many (0 when
  // memory cannot be had).
  size_t (*fill)(void* context, void** out, size_t n);
  // Returns n objects, each validated as an object start, to the slab.
  void (*spill)(void* context, void* const* objects, size_t n);
  void* context;
};

// What a class gives its cache when it is registered.
struct CacheSetup {
  uint32_t id;
  const slab::ClassGeometry* geometry;  // lives as long as the class
  bool zero_init;
  // The class's tunables (ClassConfig), 0 for the cache's defaults.
  uint32_t magazine_capacity;
  uint32_t depot_magazines;
  slab::MetadataArena* arena;  // for the cache's own records
  SlabCallbacks slab;
};

// The most objects per magazine a class may ask for.
inline constexpr uint32_t kMaxMagazineCapacity = 1024;

// Whether an allocator of Config may have zero_init classes: true unless the
// Config declares `static constexpr bool kZeroInitClasses = false;` (the
// malloc drop-in's, which zeroes for calloc itself). Without them, a cache's
// allocation fast path does not test the class for zero_init, and
// SlabAllocator refuses to register one.
template <typename Config, typename = void>
struct ZeroInitClassesOf : std::true_type {};
template <typename Config>
struct ZeroInitClassesOf<Config,
                         std::void_t<decltype(Config::kZeroInitClasses)>>
    : std::bool_constant<Config::kZeroInitClasses> {};
template <typename Config>
constexpr bool ZeroInitClasses() {
  return ZeroInitClassesOf<Config>::value;
}

struct CacheStats {
  uint64_t depot_objects = 0;   // in the class's shared store
  uint64_t thread_objects = 0;  // in the calling thread's cache
  uint64_t magazines = 0;       // made so far
  uint64_t depot_exchanges = 0;
  uint32_t magazine_capacity = 0;
};

struct AllocateResult {
  void* object;  // nullptr with cached: out of memory
  bool cached;   // false: the class is not cached here; use the slab
};

enum class ReleaseOutcome {
  kCached,
  kNotCached,   // use the slab
  kDoubleFree,  // p is the object this thread released last
};

// Allocations and releases a cache's fast paths served for a class, by every
// thread that ever used it. Releases are read before allocations, so
// allocations - releases is never below the objects that stayed live
// throughout the read.
struct CachedCounts {
  uint64_t allocations = 0;
  uint64_t releases = 0;
};

namespace policy_internal {
using SlowAllocate = void* (*)();
using SlowRelease = void (*)();
template <typename T, typename = void>
struct HasPerClass : std::false_type {};
template <typename T>
struct HasPerClass<T, std::void_t<typename T::PerClass>>
    : std::is_constructible<typename T::PerClass, const CacheSetup&> {};
SLABKIT_POLICY_MEMBER(HasAllocate, void*,
                      T::Allocate(uint32_t{}, std::declval<SlowAllocate&>()));
SLABKIT_POLICY_MEMBER(HasRelease, void,
                      T::Release(uint32_t{}, nullptr,
                                 std::declval<SlowRelease&>()));
SLABKIT_POLICY_MEMBER(HasReleaseOwned, void,
                      T::ReleaseOwned(uint32_t{}, nullptr,
                                      std::declval<SlowRelease&>()));
SLABKIT_POLICY_MEMBER(HasAllocateSlow, AllocateResult,
                      T::AllocateSlow(std::declval<typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(HasReleaseSlow, ReleaseOutcome,
                      T::ReleaseSlow(std::declval<typename T::PerClass&>(),
                                     nullptr));
SLABKIT_POLICY_MEMBER(HasFlush, void,
                      T::Flush(std::declval<typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(HasDecay, void,
                      T::Decay(std::declval<typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(HasStats, CacheStats,
                      T::Stats(std::declval<const typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(HasCounts, CachedCounts,
                      T::Counts(std::declval<const typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(HasTryCounts, bool,
                      T::TryCounts(std::declval<const typename T::PerClass&>(),
                                   std::declval<CachedCounts*>()));
SLABKIT_POLICY_MEMBER(HasTakeSample, bool,
                      T::TakeSample(std::declval<typename T::PerClass&>(),
                                    size_t{}));
SLABKIT_POLICY_MEMBER(HasLockForFork, void,
                      T::LockForFork(std::declval<typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(
    HasUnlockAfterFork, void,
    T::UnlockAfterFork(std::declval<typename T::PerClass&>()));
SLABKIT_POLICY_MEMBER(HasCachedIds, const uint32_t, T::kCachedIds);
SLABKIT_POLICY_MEMBER(HasMagazineCapacity, uint32_t,
                      T::MagazineCapacity(size_t{}));
}  // namespace policy_internal

// True when C meets the contract above; otherwise fails to compile, naming
// the missing member. Use: static_assert(CheckCache<C>()).
template <typename C>
constexpr bool CheckCache() {
  using namespace policy_internal;
  static_assert(HasPerClass<C>::value,
                "Cache policy: needs struct PerClass constructible from "
                "const CacheSetup&");
  static_assert(HasAllocate<C>::value,
                "Cache policy: needs static void* Allocate(uint32_t id, "
                "F&& slow)");
  static_assert(HasRelease<C>::value,
                "Cache policy: needs static void Release(uint32_t id, void* "
                "p, F&& slow)");
  static_assert(HasReleaseOwned<C>::value,
                "Cache policy: needs static void ReleaseOwned(uint32_t id, "
                "void* p, F&& slow)");
  static_assert(HasAllocateSlow<C>::value,
                "Cache policy: needs static AllocateResult "
                "AllocateSlow(PerClass&)");
  static_assert(HasReleaseSlow<C>::value,
                "Cache policy: needs static ReleaseOutcome "
                "ReleaseSlow(PerClass&, void*)");
  static_assert(HasFlush<C>::value,
                "Cache policy: needs static void Flush(PerClass&)");
  static_assert(HasDecay<C>::value,
                "Cache policy: needs static void Decay(PerClass&)");
  static_assert(HasStats<C>::value,
                "Cache policy: needs static CacheStats Stats(const "
                "PerClass&)");
  static_assert(HasCounts<C>::value,
                "Cache policy: needs static CachedCounts Counts(const "
                "PerClass&)");
  static_assert(HasTryCounts<C>::value,
                "Cache policy: needs static bool TryCounts(const PerClass&, "
                "CachedCounts*)");
  static_assert(HasTakeSample<C>::value,
                "Cache policy: needs static bool TakeSample(PerClass&, "
                "size_t object_size)");
  static_assert(HasLockForFork<C>::value && HasUnlockAfterFork<C>::value,
                "Cache policy: needs static void LockForFork(PerClass&) and "
                "UnlockAfterFork(PerClass&)");
  static_assert(HasCachedIds<C>::value,
                "Cache policy: needs static constexpr uint32_t kCachedIds");
  static_assert(HasMagazineCapacity<C>::value,
                "Cache policy: needs static uint32_t "
                "MagazineCapacity(size_t object_size)");
  return true;
}

}  // namespace slabkit

#endif  // SLABKIT_POLICY_CACHE_H_

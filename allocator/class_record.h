// ClassRecord: what a SlabAllocator keeps for each of its classes (the slab
// under its lock, the cache in front of it, the call counts, the guarded
// slots of sampled objects) and what is read of them: stats, counters,
// fork locking. Not a user type: SlabAllocator owns and uses it.
#ifndef SLABKIT_ALLOCATOR_CLASS_RECORD_H_
#define SLABKIT_ALLOCATOR_CLASS_RECORD_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "allocator/class_config.h"
#include "guard/canary.h"
#include "guard/report.h"
#include "guard/sampled.h"
#include "mapper/mapper.h"
#include "policy/cache.h"
#include "slab/chunk.h"
#include "slab/metadata_arena.h"
#include "slab/slab_class.h"
#include "stats/class_stats.h"

namespace slabkit {

template <typename Cache, typename Stats>
struct ClassRecord {
  ClassRecord(uint32_t id_in, const ClassConfig& config,
              const slab::ClassGeometry& geometry_in, MapperRef mapper_in,
              slab::MetadataArena* arena)
      : id(id_in),
        zero_init(config.zero_init),
        size(config.size),
        mapper(mapper_in),
        geometry(geometry_in),
        cache(CacheSetup{id_in, &geometry, config.zero_init,
                         config.magazine_capacity, config.depot_magazines,
                         arena, SlabCallbacks{&Fill, &Spill, this}}),
        slab(id_in, name, &geometry, mapper_in, config.object_hooks),
        caches_objects(config.object_hooks.construct != nullptr),
        canary(config.canary),
        fill_released(config.fill_released) {
    memcpy(name, config.name.data(), config.name.size());
    name[config.name.size()] = '\0';
  }

  // The cache's way to the slab: a batch under one lock.
  static size_t Fill(void* context, void** out, size_t n);
  static void Spill(void* context, void* const* objects, size_t n);

  // Frees `ptr` (at `loc`) in the slab; what the slab finds wrong is
  // reported.
  void ReleaseToSlabLocked(const slab::Location& loc, void* ptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Reports what the slab refused to free at `ptr` (a double free, or a
  // slot never handed out), and aborts.
  [[noreturn]] void ReportSlabMisuse(slab::SlabClass::ReleaseResult result,
                                     const void* ptr) const;

  // A checked class's calls (checked()): an object from the slab, checked
  // (fill_released) and given its canary; and the release of the object
  // at `loc` to the slab, checked (canary) and filled. Each report aborts.
  void* AllocateChecked();
  void ReleaseChecked(const slab::Location& loc, void* ptr);

  // A sampled allocation from the class's guarded slots, or nullptr to
  // allocate normally. A pool is made (from `arena`; protect_released as
  // guard::SampledClass has it) when every slot of the class's pools is
  // held, as GuardedPoolList::MayAdd allows; weighted_bytes as
  // GuardedPool::Allocate.
  void* AllocateGuarded(slab::MetadataArena* arena, bool protect_released,
                        uint64_t weighted_bytes);

  // The class as a whole (ClassStats): takes the lock briefly.
  ClassStats Snapshot() const;
  // Its counters without a lock (async-signal-safe); false when the cache's
  // counts could not be read consistently (Cache::TryCounts).
  bool TryCounters(ClassCounters* out) const;

  // Takes (then releases) every lock of the class, around fork(): the
  // slab's before the cache's and the pool's (the slab lock is held while
  // the arena is used, as guarded pools are made under it, never the other
  // way round).
  void LockForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void UnlockAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS;

  const uint32_t id;
  const bool zero_init;
  const size_t size;
  const MapperRef mapper;
  char name[kMaxClassName + 1];
  const slab::ClassGeometry geometry;
  typename Cache::PerClass cache;
  // Slow-path locks are pthread mutexes, as in jemalloc: they never
  // allocate, and ThreadSanitizer sees them (Debian's abseil is not built
  // with TSan, so it could not see absl::Mutex hand-offs).
  mutable std::mutex mu;
  slab::SlabClass slab ABSL_GUARDED_BY(mu);
  typename Stats::PerClass stats ABSL_GUARDED_BY(mu);
  const bool caches_objects;  // has object hooks: never sampled
  // The class options' checks (ClassConfig): such a class is uncached.
  const bool canary;
  const bool fill_released;
  bool checked() const { return canary || fill_released; }
  // Neither checked nor caching constructed objects: a memory tool is told
  // of its objects (SlabAllocator::kTracksMemory).
  bool plain() const { return !checked() && !caches_objects; }
  // Calls the cache did not count (uncached classes, guarded samples,
  // releases it could not take), and allocations that missed it.
  std::atomic<uint64_t> direct_allocations{0};
  std::atomic<uint64_t> direct_releases{0};
  std::atomic<uint64_t> cache_misses{0};
  // The class's guarded slots, a pool made on first sample.
  guard::GuardedPoolList guarded;
  bool fork_locked = false;  // LockForFork took this class's locks

 private:
  // The call counts: the direct ones and the cache's, which
  // read_cached(CachedCounts*) reads (false: could not). Every release count
  // is read before any allocation count, so that `live` never reads below
  // the objects that stayed live throughout the read.
  template <typename ReadCached>
  bool CallCounts(ReadCached&& read_cached, ClassCounters* out) const;
};

template <typename Cache, typename Stats>
size_t ClassRecord<Cache, Stats>::Fill(void* context, void** out, size_t n) {
  auto* c = static_cast<ClassRecord*>(context);
  std::lock_guard<std::mutex> lock(c->mu);
  const size_t got = c->slab.Allocate(out, n);
  for (size_t i = 0; i < got; ++i) c->stats.OnTakenFromSlab();
  return got;
}

template <typename Cache, typename Stats>
void ClassRecord<Cache, Stats>::Spill(void* context, void* const* objects,
                                      size_t n) {
  auto* c = static_cast<ClassRecord*>(context);
  std::lock_guard<std::mutex> lock(c->mu);
  // Every cached object was validated on release; what the slab can still
  // find here is a double free that reached it twice, or a slot never
  // handed out.
  slab::SlabClass::ReleaseResult error = slab::SlabClass::ReleaseResult::kOk;
  const size_t freed = c->slab.Release(objects, n, &error);
  for (size_t i = 0; i < freed; ++i) c->stats.OnReturnedToSlab();
  if (freed < n) c->ReportSlabMisuse(error, objects[freed]);
}

template <typename Cache, typename Stats>
void ClassRecord<Cache, Stats>::ReleaseToSlabLocked(const slab::Location& loc,
                                                    void* ptr) {
  const slab::SlabClass::ReleaseResult result = slab.Release(loc);
  if (result != slab::SlabClass::ReleaseResult::kOk) {
    ReportSlabMisuse(result, ptr);
  }
  stats.OnReturnedToSlab();
}

template <typename Cache, typename Stats>
void ClassRecord<Cache, Stats>::ReportSlabMisuse(
    slab::SlabClass::ReleaseResult result, const void* ptr) const {
  ReportMisuse(result == slab::SlabClass::ReleaseResult::kDoubleFree
                   ? Misuse::kDoubleFree
                   : Misuse::kNeverAllocated,
               ptr, name, id);
}

template <typename Cache, typename Stats>
void* ClassRecord<Cache, Stats>::AllocateChecked() {
  void* p;
  bool recycled;
  {
    std::lock_guard<std::mutex> lock(mu);
    p = slab.Allocate(&recycled);
    if (p == nullptr) return nullptr;
    stats.OnTakenFromSlab();
  }
  char* slot = static_cast<char*>(p);
  const size_t slot_size = geometry.object_size;
  if (fill_released && recycled && !guard::IsZero(slot, slot_size)) {
    const char* written = guard::FindNonzero(slot, slot + size);
    ReportMisuse(
        written != nullptr ? Misuse::kWriteAfterFree : Misuse::kOverflow,
        written != nullptr ? written : slot, name, id,
        written != nullptr
            ? nullptr
            : "the canary of this free slot was written (an "
              "underflow of the object after it, or a write after "
              "free)");
  }
  if (zero_init && recycled && !fill_released) memset(p, 0, size);
  if (canary) {
    guard::WriteCanary(guard::CanaryPattern(slot), slot + size,
                       slot + slot_size);
  }
  return p;
}

template <typename Cache, typename Stats>
void ClassRecord<Cache, Stats>::ReleaseChecked(const slab::Location& loc,
                                               void* ptr) {
  // Under the lock, the slab's own checks (double free, never allocated)
  // come first, and no other thread gets the slot before it is filled.
  std::lock_guard<std::mutex> lock(mu);
  ReleaseToSlabLocked(loc, ptr);
  char* slot = static_cast<char*>(ptr);
  const size_t slot_size = geometry.object_size;
  if (canary && guard::CanaryDiff(guard::CanaryPattern(slot), slot + size,
                                  slot + slot_size) != 0) {
    ReportMisuse(Misuse::kOverflow, ptr, name, id,
                 "the bytes after it were written");
  }
  if (fill_released) memset(slot, 0, slot_size);
}

template <typename Cache, typename Stats>
void* ClassRecord<Cache, Stats>::AllocateGuarded(slab::MetadataArena* arena,
                                                 bool protect_released,
                                                 uint64_t weighted_bytes) {
  const size_t pools = guarded.size();
  if (void* p = guarded.Allocate(weighted_bytes)) return p;
  guard::GuardedPool* pool;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (guarded.size() == pools) {
      if (!guarded.MayAdd(slab.counters().reserved_bytes)) return nullptr;
      pool = guard::GuardedPool::Create({id, name, size, geometry.alignment,
                                         mapper, protect_released, zero_init},
                                        arena);
      if (pool == nullptr) return nullptr;  // tried again on a later sample
      guarded.Add(pool);
    } else {
      pool = nullptr;  // another thread added one meanwhile
    }
  }
  return pool != nullptr ? pool->Allocate(weighted_bytes)
                         : guarded.Allocate(weighted_bytes);
}

template <typename Cache, typename Stats>
template <typename ReadCached>
bool ClassRecord<Cache, Stats>::CallCounts(ReadCached&& read_cached,
                                           ClassCounters* out) const {
  const uint64_t direct_release_count =
      direct_releases.load(std::memory_order_acquire);
  CachedCounts cached;  // releases, then allocations
  if (!read_cached(&cached)) return false;
  out->allocations =
      cached.allocations + direct_allocations.load(std::memory_order_acquire);
  out->releases = cached.releases + direct_release_count;
  out->live =
      out->allocations > out->releases ? out->allocations - out->releases : 0;
  out->in_use_bytes = out->live * geometry.object_size;
  return true;
}

template <typename Cache, typename Stats>
bool ClassRecord<Cache, Stats>::TryCounters(ClassCounters* out) const {
  ClassCounters counts;
  if (!CallCounts(
          [this](CachedCounts* cached) {
            return Cache::TryCounts(cache, cached);
          },
          &counts)) {
    return false;
  }
  const slab::SlabClass::Counters memory = slab.ReadCounters();
  counts.reserved_bytes = memory.reserved_bytes;
  counts.committed_bytes = memory.committed_bytes;
  counts.idle_bytes = slab.IdleBytes(memory);
  counts.returned_bytes = memory.returned_bytes;
  *out = counts;
  return true;
}

template <typename Cache, typename Stats>
ClassStats ClassRecord<Cache, Stats>::Snapshot() const {
  ClassStats s;
  s.id = id;
  s.name = name;
  s.mapper = mapper.name();
  s.size = size;
  s.object_size = geometry.object_size;
  s.alignment = geometry.alignment;
  ClassCounters counts;
  CallCounts(
      [this](CachedCounts* cached) {
        *cached = Cache::Counts(cache);
        return true;
      },
      &counts);
  s.allocations = counts.allocations;
  s.releases = counts.releases;
  s.live = counts.live;
  s.in_use_bytes = counts.in_use_bytes;
  s.cache_misses = cache_misses.load(std::memory_order_relaxed);
  s.cache_hits =
      s.allocations > s.cache_misses ? s.allocations - s.cache_misses : 0;
  s.misuse_events = MisuseEvents(id);
  std::lock_guard<std::mutex> lock(mu);
  s.from_slab = stats.from_slab();
  s.to_slab = stats.to_slab();
  s.peak_out_of_slab = stats.peak_out_of_slab();
  const slab::SlabClass::Counters& counters = slab.counters();
  s.chunks = counters.chunks;
  s.spans = counters.spans;
  s.reserved_bytes = counters.reserved_bytes;
  s.committed_bytes = counters.committed_bytes;
  s.decommitted_spans = counters.decommitted_spans;
  s.idle_bytes = slab.IdleBytes();
  s.returned_bytes = counters.returned_bytes;
  const CacheStats cached = Cache::Stats(cache);
  s.magazine_capacity = cached.magazine_capacity;
  s.magazines = cached.magazines;
  s.depot_objects = cached.depot_objects;
  s.thread_cached_objects = cached.thread_objects;
  s.depot_exchanges = cached.depot_exchanges;
  return s;
}

template <typename Cache, typename Stats>
void ClassRecord<Cache, Stats>::LockForFork() {
  mu.lock();
  Cache::LockForFork(cache);
  guarded.ForEach([](guard::GuardedPool& pool) { pool.LockForFork(); });
  fork_locked = true;
}

template <typename Cache, typename Stats>
void ClassRecord<Cache, Stats>::UnlockAfterFork() {
  // A class registered while the locks were taken was not locked.
  if (!fork_locked) return;
  fork_locked = false;
  guarded.ForEach([](guard::GuardedPool& pool) { pool.UnlockAfterFork(); });
  Cache::UnlockAfterFork(cache);
  mu.unlock();
}

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_CLASS_RECORD_H_

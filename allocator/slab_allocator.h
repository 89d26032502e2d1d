// SlabAllocator<Config>: classes of fixed-size, type-stable objects, composed
// from a mapper, a set of mitigations, and cache, stats and layout policies
// (the Config; allocator/policies.h says what it holds). `using Allocator =
// SlabAllocator<DefaultConfig>` (allocator.h) is the composition the C API
// uses.
//
// Guarantees:
// - Type stability: an address handed out for a class is only ever handed
//   out again by that class; memory is never returned to another class.
// - No in-band metadata: without zero_init, slabkit never writes into an
//   object; released objects keep the program's bytes.
// - Misuse on release is detected and reported (guard/report.h), never
//   absorbed: wrong class, unmanaged or interior addresses, double frees and
//   slots never handed out.
// - A handle belongs to the allocator that registered it: another allocator
//   reports or refuses it as an unknown class.
// - Thread-safe: any thread may allocate or release any class.
#ifndef SLABKIT_ALLOCATOR_SLAB_ALLOCATOR_H_
#define SLABKIT_ALLOCATOR_SLAB_ALLOCATOR_H_

// clang-format off
#include "base/language.h"  // first: C++17, or an #error naming the flag
// clang-format on

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "allocator/class_config.h"
#include "allocator/class_record.h"
#include "allocator/peak_samples.h"
#include "base/memory_tool.h"
#include "guard/layout.h"
#include "guard/object_checks.h"
#include "guard/report.h"
#include "guard/sample_table.h"
#include "guard/sampled.h"
#include "mapper/mapper.h"
#include "mapper/registry.h"
#include "policy/cache.h"
#include "policy/contract.h"
#include "policy/mitigations.h"
#include "policy/stats.h"
#include "slab/chunk.h"
#include "slab/metadata_arena.h"
#include "slab/page_map.h"
#include "slab/slab_class.h"
#include "stats/heap_profile.h"
#include "stats/mappings.h"

namespace slabkit {

// A Config may declare `static void NoteSlowPath()`: called on entry to the
// slow paths (AllocateSlow, ReleaseSlow) with no allocator lock held. The
// process-wide allocators' Configs use it to drive decay
// (allocator/decay.h).
SLABKIT_POLICY_MEMBER(HasNoteSlowPath, void, T::NoteSlowPath());

template <typename Config>
class SlabAllocator {
 public:
  using Mapper = typename Config::Mapper;
  using Cache = typename Config::template Cache<Config>;
  using Stats = typename Config::Stats;
  static_assert(IsMapper<Mapper>::value,
                "Config::Mapper does not satisfy mapper/mapper.h");
  static_assert(CheckCache<Cache>());
  static_assert(CheckStats<Stats>());
  static_assert(guard::CheckLayout<typename Config::Layout>());

  static constexpr Mitigations kMitigations = Config::kMitigations;
  // Every object's state is kept, so every double free and every release of
  // a slot never handed out is caught.
  static constexpr bool kStates = Has(kMitigations, Mitigations::kObjectStates);
  // A sample of allocations is served from guarded slots and recorded for
  // heap profiles; kProtectSamples: released samples are made inaccessible.
  static constexpr bool kSamples = Samples(kMitigations);
  static constexpr bool kProtectSamples =
      Has(kMitigations, Mitigations::kGuardedSamples);
  static constexpr slab::LayoutParams kLayout =
      guard::LayoutWith(Config::Layout::kParams, kMitigations);

  // `mapper` must outlive the allocator and every object it hands out.
  explicit SlabAllocator(Mapper* mapper)
      : mapper_(mapper), arena_(MapperRef(mapper)) {
    if constexpr (kSamples) {
      guard::SetDefaultSampleInterval(kProtectSamples
                                          ? guard::kHardenedSampleInterval
                                          : guard::kDefaultSampleInterval);
    }
    // A fault in a guard page is reported as an overflow.
    if constexpr (Has(kMitigations, Mitigations::kSpanGuards) ||
                  Has(kMitigations, Mitigations::kPageGuards)) {
      guard::EnsureFaultHandler();
    }
  }
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // Registers a class. Errors, each with a message saying what is wrong:
  // InvalidArgument for a bad config (empty or long name, size 0 or above
  // 256 KiB, bad alignment), NotFound for an unknown mapper name,
  // ResourceExhausted when metadata memory cannot be had, OutOfRange when no
  // class id is left. Thread-safe.
  absl::StatusOr<ClassId> Register(const ClassConfig& config);

  // An object of class `cls`, aligned as registered, or nullptr with errno
  // ENOMEM when memory cannot be had (a later call may succeed) or EINVAL
  // when `cls` is not a class of this allocator.
  void* Allocate(ClassId cls) {
    if constexpr (kTracksMemory) {
      return TrackAllocated(cls, AllocateUntracked(cls));
    } else {
      return AllocateUntracked(cls);
    }
  }

  // Returns `ptr` (an object of `cls` from Allocate) to its class; nullptr is
  // a no-op. Misuse is reported and aborts (see guard/report.h).
  void Release(ClassId cls, void* ptr) {
    if constexpr (kTracksMemory) TrackReleased(cls, ptr);
    if (ABSL_PREDICT_FALSE(Foreign(cls))) return ReleaseSlow(cls, ptr);
    Cache::Release(cls.value, ptr,
                   [this, cls, ptr] { return ReleaseSlow(cls, ptr); });
  }

  // A build for a memory-checking tool (base/memory_tool.h) tells it of each
  // object Allocate hands out and Release takes back: the fast flavour's
  // plain classes (not checked classes, object-caching ones or the hardened
  // flavour, which check for themselves; docs/debugging.md).
  static constexpr bool kTracksMemory =
      memory_tool::kEnabled && (kMitigations == Mitigations::kNone ||
                                kMitigations == Mitigations::kHeapSamples);
  void* TrackAllocated(ClassId cls, void* p) const;
  void TrackReleased(ClassId cls, void* p) const;

  // Allocate without telling the memory tool (the fast path itself).
  ABSL_ATTRIBUTE_ALWAYS_INLINE void* AllocateUntracked(ClassId cls) {
    if (ABSL_PREDICT_FALSE(Foreign(cls))) return AllocateSlow(cls);
    return Cache::Allocate(cls.value,
                           [this, cls] { return AllocateSlow(cls); });
  }

  // The halves of Allocate and Release past the cache's inline fast path,
  // for callers that inline the fast path themselves (c_api/).
  ABSL_ATTRIBUTE_NOINLINE void* AllocateSlow(ClassId cls);
  ABSL_ATTRIBUTE_NOINLINE void ReleaseSlow(ClassId cls, void* ptr);

  // Returns idle memory: the calling thread's cached objects and every
  // class's depot go back to the slabs, and spans whose objects are all free
  // are decommitted (their addresses stay with their class, reading zeros).
  // Objects cached by other threads stay there until those threads exit or
  // call FlushThreadCache(). Returns the bytes decommitted.
  size_t ReleaseIdleMemory();

  // One decay pass over every class (allocator/decay.h): each depot's
  // magazines that sat idle since the previous pass go back to the slab,
  // and spans empty since the previous pass are decommitted (with !aged,
  // every empty span). Thread caches are left alone, and so is a class
  // whose lock is taken. Returns the bytes decommitted.
  size_t Decay(bool aged);

  // A snapshot of `cls`, or NotFound. Safe from any thread at any time but
  // not from a signal handler (use ReadCounters): it takes the class's lock
  // briefly, never stops the fast paths.
  absl::StatusOr<ClassStats> GetStats(ClassId cls) const;

  // The counters of `cls` (stats/class_stats.h), for a signal handler:
  // async-signal-safe (no lock, no allocation, no system call), and wait-free
  // but for a bounded retry. kBusy when the per-thread counts could not be
  // read consistently: some thread was exiting or flushing its cache all
  // along, or the signal interrupted such a change on this thread. Nothing
  // is written to *out unless kOk.
  enum class CounterRead { kOk, kNoClass, kBusy };
  CounterRead ReadCounters(ClassId cls, ClassCounters* out) const;

  // Calls f(const ClassStats&) for every class, in id order.
  template <typename F>
  void ForEachClass(F&& f) const {
    for (uint32_t id = 1; id < slab::kMaxClasses; ++id) {
      if (classes_[id].load(std::memory_order_acquire) == nullptr) continue;
      absl::StatusOr<ClassStats> s = GetStats(ClassId{id});
      if (s.ok()) f(*s);
    }
  }

  // The allocator as a whole, and the process around it.
  GlobalStats GetGlobalStats() const;

  // Writes a heap profile of the sampled objects (flavours that sample;
  // others write an empty profile) to `fd`, in `format`
  // (stats/heap_profile.h), labelled with their classes. kHeap: the live
  // ones and each class's allocation sites since start or the last
  // ResetHeapProfile; kPeak: those live when the estimated live heap was
  // largest since then (allocator/peak_samples.h). Samples of an attached
  // table (AttachSamples) are included. Never allocates.
  void WriteHeapProfile(int fd, ProfileFormat format = ProfileFormat::kText,
                        ProfileKind kind = ProfileKind::kHeap) const {
    slabkit::WriteHeapProfile(
        fd, format, guard::SampleInterval(), [this, kind](auto&& f) {
          if (kind == ProfileKind::kPeak) {
            peak_.ForEach([&](const PeakSamples::Record& r) {
              f(ProfileSample{r.class_name, r.size, r.stack, r.depth,
                              /*live=*/1, /*allocations=*/0});
            });
            return;
          }
          ForEachPool([&](const guard::GuardedPool& pool) {
            pool.ForEachSample([&](void* const* stack, int depth, uint64_t live,
                                   uint64_t allocations) {
              f(ProfileSample{pool.class_name(), pool.object_size(), stack,
                              depth, live, allocations});
            });
          });
          if (const guard::SampleTable* table =
                  attached_samples_.load(std::memory_order_acquire)) {
            table->ForEachSample([&](size_t size, void* const* stack, int depth,
                                     uint64_t live, uint64_t allocations) {
              f(ProfileSample{table->class_name(), size, stack, depth, live,
                              allocations});
            });
          }
        });
  }

  // Starts the profiles over: allocation sites count from zero, and the
  // samples live now are the peak. Live samples stay.
  void ResetHeapProfile() {
    if constexpr (kSamples) {
      ForEachPool(
          [](const guard::GuardedPool& pool) { pool.ResetAllocations(); });
      peak_.Reset(&arena_, [this](auto&& f) { this->ForEachHeldSample(f); });
    }
  }

  // Samples kept outside the allocator's classes (malloc's large blocks),
  // which its heap profiles include; their owner reports their allocations
  // and releases (SampleAllocated, SampleReleased) for the peak profile.
  // `table` must outlive the allocator.
  void AttachSamples(const guard::SampleTable* table) {
    attached_samples_.store(table, std::memory_order_release);
  }
  void SampleAllocated(uint64_t weighted_bytes) {
    if constexpr (kSamples) {
      peak_.Allocated(weighted_bytes, &arena_,
                      [this](auto&& f) { this->ForEachHeldSample(f); });
    }
  }
  void SampleReleased(uint64_t weighted_bytes) {
    peak_.Released(weighted_bytes);
  }

  // Fork safety. LockForFork takes every lock of the allocator (each
  // class's slab and guarded-pool locks, then the metadata arena's; depots
  // are lock-free), in an order no other path takes them in reverse;
  // UnlockAfterFork, in the parent and in the child, releases them.
  // Process-wide allocators are locked so around every fork
  // (AddProcessAllocator), so that a child can allocate even when another
  // thread of the parent was in a slow path at the fork. The registry of
  // per-thread caches, shared by all allocators, is locked once, after them all
  // (magazine::LockRegistryForFork).
  void LockForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void UnlockAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // The bytes of memory the allocator holds for its own records.
  size_t metadata_bytes() const { return arena_.mapped_bytes(); }

 private:
  using Record = ClassRecord<Cache, Stats>;

  // Misuse checks every release passes before it is cached or freed.
  static slab::Location Validate(const Record* c, ClassId cls, void* ptr);

  // A handle the cache could serve that is not this allocator's: another
  // allocator of the same Config shares this thread's cache entries, so its
  // handles are sent to the slow path, which refuses them. One load and
  // compare; the C API and malloc, whose process-wide allocators are alone
  // in their Configs' tables, call the cache directly.
  bool Foreign(ClassId cls) const {
    return cls.value < Cache::kCachedIds &&
           classes_[cls.value].load(std::memory_order_relaxed) == nullptr;
  }

  // Calls f(const guard::GuardedPool&) for each pool of samples of every
  // class.
  template <typename F>
  void ForEachPool(F&& f) const {
    for (uint32_t id = 1; id < slab::kMaxClasses; ++id) {
      const Record* c = classes_[id].load(std::memory_order_acquire);
      if (c != nullptr) c->guarded.ForEach(f);
    }
  }

  // Calls f(class_name, size, stack, depth) for every live sample: the
  // pools' and the attached table's.
  template <typename F>
  void ForEachHeldSample(F&& f) const {
    ForEachPool([&](const guard::GuardedPool& pool) {
      pool.ForEachHeld([&](void* const* stack, int depth) {
        f(pool.class_name(), pool.object_size(), stack, depth);
      });
    });
    if (const guard::SampleTable* table =
            attached_samples_.load(std::memory_order_acquire)) {
      table->ForEachHeld([&](size_t size, void* const* stack, int depth) {
        f(table->class_name(), size, stack, depth);
      });
    }
  }

  Record* Find(ClassId cls) const {
    if (ABSL_PREDICT_FALSE(cls.value >= slab::kMaxClasses)) return nullptr;
    return classes_[cls.value].load(std::memory_order_acquire);
  }

  Mapper* const mapper_;
  slab::MetadataArena arena_;
  std::atomic<Record*> classes_[slab::kMaxClasses] = {};
  PeakSamples peak_;
  std::atomic<const guard::SampleTable*> attached_samples_{nullptr};
};

template <typename Config>
absl::StatusOr<ClassId> SlabAllocator<Config>::Register(
    const ClassConfig& config) {
  if (config.name.empty() || config.name.size() > kMaxClassName) {
    return absl::InvalidArgumentError(
        absl::StrCat("class name must have 1 to ", kMaxClassName,
                     " bytes, not ", config.name.size()));
  }
  MapperRef mapper(mapper_);
  if (!config.mapper.empty()) {
    absl::StatusOr<MapperRef> named = FindMapper(config.mapper);
    if (!named.ok()) {
      return absl::NotFoundError(absl::StrCat(
          "class \"", config.name, "\": ", named.status().message()));
    }
    mapper = *named;
  }
  if (config.zero_init && !ZeroInitClasses<Config>()) {
    return absl::InvalidArgumentError(
        absl::StrCat("class \"", config.name,
                     "\": this allocator's Config has no zero_init classes"));
  }
  if (config.zero_init && (config.object_hooks.construct != nullptr ||
                           config.object_hooks.destruct != nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("class \"", config.name,
                     "\": object caching and zero_init exclude each other"));
  }
  if ((config.canary || config.fill_released) &&
      (config.object_hooks.construct != nullptr ||
       config.object_hooks.destruct != nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("class \"", config.name,
                     "\": object caching excludes canary and fill_released"));
  }
  if (config.canary && config.size > slab::kMaxObjectSize - kClassCanaryBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "class \"", config.name, "\": with canary, objects of at most ",
        slab::kMaxObjectSize - kClassCanaryBytes, " bytes, not ", config.size));
  }
  if (config.magazine_capacity > kMaxMagazineCapacity) {
    return absl::InvalidArgumentError(absl::StrCat(
        "class \"", config.name, "\": magazine capacity ",
        config.magazine_capacity, " exceeds ", kMaxMagazineCapacity));
  }
  absl::StatusOr<slab::ClassGeometry> geometry = slab::ComputeGeometry(
      config.size + (config.canary ? kClassCanaryBytes : 0), config.alignment,
      mapper.page_size(), kLayout);
  if (!geometry.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "class \"", config.name, "\": ", geometry.status().message()));
  }
  void* memory = arena_.Allocate(sizeof(Record), alignof(Record));
  if (memory == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "class \"", config.name, "\": no memory for the class record"));
  }
  const uint32_t id = slab::NewClassId();
  if (id == 0) {
    return absl::OutOfRangeError(absl::StrCat("class \"", config.name,
                                              "\": all ", slab::kMaxClasses - 1,
                                              " class ids are in use"));
  }
  if (config.canary) guard::InitCanarySecret();
  auto* state = new (memory) Record(id, config, *geometry, mapper, &arena_);
  classes_[id].store(state, std::memory_order_release);
  return ClassId{id};
}

template <typename Config>
void* SlabAllocator<Config>::AllocateSlow(ClassId cls) {
  if constexpr (HasNoteSlowPath<Config>::value) Config::NoteSlowPath();
  Record* c = Find(cls);
  if (ABSL_PREDICT_FALSE(c == nullptr)) {
    errno = EINVAL;
    return nullptr;
  }
  c->cache_misses.fetch_add(1, std::memory_order_relaxed);
  void* p;
  if (c->checked()) {
    p = c->AllocateChecked();  // uncached: checked and given its canary
  } else {
    if constexpr (kSamples) {
      if (Cache::TakeSample(c->cache, c->geometry.object_size) &&
          !c->caches_objects) {
        // What the sample stands for: its size over its probability.
        const uint64_t weighted_bytes =
            SampledBytes(c->size, guard::SampleInterval());
        if (void* guarded =
                c->AllocateGuarded(&arena_, kProtectSamples, weighted_bytes)) {
          SampleAllocated(weighted_bytes);
          c->direct_allocations.fetch_add(1, std::memory_order_relaxed);
          return guarded;
        }
      }
    }
    const AllocateResult cached = Cache::AllocateSlow(c->cache);
    if (cached.cached) {
      if (cached.object == nullptr) errno = ENOMEM;
      return cached.object;
    }
    bool recycled;
    {
      std::lock_guard<std::mutex> lock(c->mu);
      p = c->slab.Allocate(&recycled);
      if (p != nullptr) c->stats.OnTakenFromSlab();
    }
    // Fresh memory is already zero; only recycled objects need clearing.
    if (p != nullptr && c->zero_init && recycled) {
      memory_tool::AboutToWrite(p, c->geometry.object_size);
      memset(p, 0, c->geometry.object_size);
    }
  }
  if (ABSL_PREDICT_FALSE(p == nullptr)) {
    errno = ENOMEM;
    return nullptr;
  }
  if constexpr (kStates) {
    __atomic_store_n(guard::ObjectState(slab::Locate(p)), slab::kObjectHeld,
                     __ATOMIC_RELAXED);
  }
  c->direct_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}

template <typename Config>
void* SlabAllocator<Config>::TrackAllocated(ClassId cls, void* p) const {
  const Record* c = Find(cls);
  if (p != nullptr && c != nullptr && c->plain() && !slab::Locate(p).guarded) {
    memory_tool::Allocated(p, c->size, c->zero_init);
  }
  return p;
}

template <typename Config>
void SlabAllocator<Config>::TrackReleased(ClassId cls, void* p) const {
  // Only an object Allocate told the tool of: misuse is left to Release,
  // which reports it.
  const Record* c = Find(cls);
  if (p == nullptr || c == nullptr || !c->plain()) return;
  const slab::Location loc = slab::Locate(p);
  if (loc.class_id == c->id && loc.object_start && !loc.guarded) {
    memory_tool::Released(p, c->size);
  }
}

template <typename Config>
slab::Location SlabAllocator<Config>::Validate(const Record* c, ClassId cls,
                                               void* ptr) {
  if (ABSL_PREDICT_FALSE(c == nullptr)) {
    ReportMisuse(Misuse::kUnknownClass, ptr, nullptr, cls.value);
  }
  const slab::Location loc = slab::Locate(ptr);
  if (ABSL_PREDICT_FALSE(loc.class_id != c->id)) {
    guard::ReportForeign(ptr, loc, c->name, c->id);
  }
  guard::CheckObjectStart(ptr, loc, c->name, c->id);
  return loc;
}

template <typename Config>
void SlabAllocator<Config>::ReleaseSlow(ClassId cls, void* ptr) {
  if (ptr == nullptr) return;
  if constexpr (HasNoteSlowPath<Config>::value) Config::NoteSlowPath();
  Record* c = Find(cls);
  const slab::Location loc = Validate(c, cls, ptr);
  if (loc.guarded) {
    uint64_t weighted_bytes = 0;
    switch (guard::GuardedPool::Of(ptr)->Release(ptr, &weighted_bytes)) {
      case guard::GuardedPool::ReleaseResult::kOk:
        peak_.Released(weighted_bytes);
        c->direct_releases.fetch_add(1, std::memory_order_relaxed);
        return;
      case guard::GuardedPool::ReleaseResult::kInterior:
        ReportMisuse(Misuse::kInterior, ptr, c->name, c->id);
      case guard::GuardedPool::ReleaseResult::kDoubleFree:
        ReportMisuse(Misuse::kDoubleFree, ptr, c->name, c->id);
    }
  }
  if constexpr (kStates) {
    const uint8_t was = __atomic_exchange_n(
        guard::ObjectState(loc), slab::kObjectReleased, __ATOMIC_RELAXED);
    if (was != slab::kObjectHeld) {
      ReportMisuse(was == slab::kObjectReleased ? Misuse::kDoubleFree
                                                : Misuse::kNeverAllocated,
                   ptr, c->name, c->id);
    }
  }
  if (c->checked()) {
    c->direct_releases.fetch_add(1, std::memory_order_relaxed);
    return c->ReleaseChecked(loc, ptr);
  }
  switch (Cache::ReleaseSlow(c->cache, ptr)) {
    case ReleaseOutcome::kCached:
      return;
    case ReleaseOutcome::kDoubleFree:
      ReportMisuse(Misuse::kDoubleFree, ptr, c->name, c->id);
    case ReleaseOutcome::kNotCached:
      break;
  }
  c->direct_releases.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(c->mu);
  c->ReleaseToSlabLocked(loc, ptr);
}

template <typename Config>
void SlabAllocator<Config>::LockForFork() {
  peak_.LockForFork();  // before the arena's: it allocates from it
  for (uint32_t id = 1; id < slab::kMaxClasses; ++id) {
    if (Record* c = classes_[id].load(std::memory_order_acquire)) {
      c->LockForFork();
    }
  }
  arena_.LockForFork();
}

template <typename Config>
void SlabAllocator<Config>::UnlockAfterFork() {
  arena_.UnlockAfterFork();
  for (uint32_t id = 1; id < slab::kMaxClasses; ++id) {
    if (Record* c = classes_[id].load(std::memory_order_acquire)) {
      c->UnlockAfterFork();
    }
  }
  peak_.UnlockAfterFork();
}

template <typename Config>
GlobalStats SlabAllocator<Config>::GetGlobalStats() const {
  GlobalStats g;
  ForEachClass([&g](const ClassStats& s) {
    g.classes++;
    g.reserved_bytes += s.reserved_bytes;
    g.committed_bytes += s.committed_bytes;
    g.idle_bytes += s.idle_bytes;
    g.returned_bytes += s.returned_bytes;
    int m = 0;
    while (m < g.mappers && strcmp(g.by_mapper[m].name, s.mapper) != 0) ++m;
    if (m == g.mappers) {
      if (g.mappers == GlobalStats::kMaxMappers) return;
      g.by_mapper[g.mappers++].name = s.mapper;
    }
    g.by_mapper[m].reserved_bytes += s.reserved_bytes;
    g.by_mapper[m].committed_bytes += s.committed_bytes;
  });
  g.metadata_bytes = arena_.mapped_bytes();
  g.kernel_mappings = KernelMappings();
  g.misuse_events = MisuseEvents();
  return g;
}

template <typename Config>
size_t SlabAllocator<Config>::ReleaseIdleMemory() {
  size_t bytes = 0;
  for (uint32_t id = 1; id < slab::kMaxClasses; ++id) {
    Record* c = classes_[id].load(std::memory_order_acquire);
    if (c == nullptr) continue;
    Cache::Flush(c->cache);
    std::lock_guard<std::mutex> lock(c->mu);
    bytes += c->slab.DecommitEmptySpans();
  }
  return bytes;
}

template <typename Config>
size_t SlabAllocator<Config>::Decay(bool aged) {
  size_t bytes = 0;
  for (uint32_t id = 1; id < slab::kMaxClasses; ++id) {
    Record* c = classes_[id].load(std::memory_order_acquire);
    if (c == nullptr) continue;
    // A pass never waits for a class: one whose lock is taken is in use (or
    // held by this very thread, in an object hook that allocates), and the
    // next pass sees it.
    if (!c->mu.try_lock()) continue;
    c->mu.unlock();
    Cache::Decay(c->cache);
    std::unique_lock<std::mutex> lock(c->mu, std::try_to_lock);
    if (lock.owns_lock()) bytes += c->slab.DecaySpans(aged);
  }
  return bytes;
}

template <typename Config>
typename SlabAllocator<Config>::CounterRead SlabAllocator<Config>::ReadCounters(
    ClassId cls, ClassCounters* out) const {
  const Record* c = Find(cls);
  if (c == nullptr) return CounterRead::kNoClass;
  return c->TryCounters(out) ? CounterRead::kOk : CounterRead::kBusy;
}

template <typename Config>
absl::StatusOr<ClassStats> SlabAllocator<Config>::GetStats(ClassId cls) const {
  const Record* c = Find(cls);
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no class with id ", cls.value, " in this allocator"));
  }
  return c->Snapshot();
}

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_SLAB_ALLOCATOR_H_

// Malloc<Config>: the malloc API over a SlabAllocator<Config> and a
// LargeAllocator. c_api/malloc_api.cc exports it as malloc, free, ... and
// every operator new and delete; docs/malloc.md says what it guarantees.
//
// Requests up to 256 KiB go to one of 53 slab classes (size_classes.h),
// through the same per-thread magazines as the class API: malloc's fast path
// is a table load and the class API's allocate. free() finds the class from
// the address alone (the page map), so every check of the class API's
// release applies: unmanaged, interior and wrong-class addresses and double
// frees are reported, never absorbed. Larger requests get mappings of their
// own with guard pages (large.h).
//
// Safe to call before constructors run: the first call builds the
// allocator, in static storage, without calling malloc. Thread-safe, and
// fork-safe once built (pthread_atfork handlers take every lock).
#ifndef SLABKIT_MALLOC_MALLOC_H_
#define SLABKIT_MALLOC_MALLOC_H_

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/debugging/stacktrace.h"
#include "allocator/flavour.h"
#include "allocator/policies.h"
#include "allocator/process.h"
#include "allocator/slab_allocator.h"
#include "guard/object_checks.h"
#include "guard/report.h"
#include "guard/sampled.h"
#include "malloc/block_checks.h"
#include "malloc/class_table.h"
#include "malloc/large.h"
#include "malloc/malloc_config.h"
#include "malloc/malloc_stats.h"
#include "malloc/size_classes.h"
#include "malloc/zero_size.h"
#include "mapper/registry.h"
#include "slab/chunk.h"
#include "slab/page_map.h"
#include "stats/heap_profile.h"
#include "stats/report.h"

namespace slabkit {
namespace malloc {

// Set while this thread builds a malloc allocator: a malloc made from inside
// (by something the build calls) fails with ENOMEM instead of deadlocking.
extern __thread bool tls_building __attribute__((tls_model("initial-exec")));

// The largest request malloc accepts (glibc's limit): larger ones fail with
// ENOMEM before any mapping is tried.
inline constexpr size_t kMaxRequest = static_cast<size_t>(PTRDIFF_MAX);

template <typename Config>
class Malloc {
 public:
  using Allocator = SlabAllocator<Config>;
  using Cache = typename Allocator::Cache;
  static constexpr Mitigations kMitigations = Config::kMitigations;
  // Freed large blocks are quarantined rather than kept for reuse.
  static constexpr bool kQuarantine =
      Has(kMitigations, Mitigations::kLargeQuarantine);
  // The report's name for this allocator, and the class name of its large
  // blocks in diagnostics.
  static constexpr const char* kName =
      kMitigations == kHardenedMitigations ? "malloc_hardened" : "malloc";

  // The block checks (block_checks.h): canaries, zero-filled releases and
  // release-family checks, which malloc applies together.
  static constexpr bool kBlockChecks =
      Has(kMitigations, Mitigations::kCanaries);
  static_assert(kBlockChecks == Has(kMitigations, Mitigations::kFillReleased) &&
                    kBlockChecks ==
                        Has(kMitigations, Mitigations::kReleaseChecks),
                "malloc's block checks come together: kCanaries, "
                "kFillReleased and kReleaseChecks");
  static_assert(!kBlockChecks || Allocator::kStates,
                "malloc's block checks need Mitigations::kObjectStates");

  // malloc(n): n bytes aligned to 16 (8 for n <= 8), or nullptr with ENOMEM.
  // F: the family allocating it (operator new and new[] pass theirs).
  template <Family F = Family::kMalloc>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void* Allocate(size_t n) {
    if constexpr (kBlockChecks) {
      // The block checks run inside the cache's fast path, on the records
      // it finds anyway; the slow path runs them itself.
      const size_t with_canary = WithCanary(n);
      if (ABSL_PREDICT_TRUE(with_canary <= kLookupMax)) {
        const uint32_t id = table_.class_id[LookupIndex(with_canary)];
        return Cache::Allocate(
            id, [n] { return AllocateSlowChecked(n, F); },
            HandOutChecks<F>{n, id});
      }
      return AllocateSlowChecked(n, F);
    } else {
      return AllocateUnchecked(n);
    }
  }

  // free(p); F: the family releasing it (operator delete and delete[] pass
  // theirs).
  template <Family F = Family::kMalloc>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void Free(void* p) {
    if constexpr (kBlockChecks) {
      return FreeChecked<F>(p, 0);
    } else {
      return FreeUnchecked(p);
    }
  }

  // free_sized(p, n) and sized operator delete: `n` must be the size p was
  // allocated with (or realloc'ed to); a size from another class (with the
  // block checks: another size) is reported as misuse.
  template <Family F = Family::kMalloc>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void FreeSized(void* p, size_t n) {
    if constexpr (kBlockChecks) {
      return FreeChecked<F>(p, n == 0 ? kSizedZero : n);
    }
    const uint32_t entry = slab::LookupClass(p, std::memory_order_relaxed);
    if (ABSL_PREDICT_TRUE(n <= kLookupMax && table_.fast_free[entry] != 0 &&
                          table_.class_id[LookupIndex(n)] == entry)) {
      return Cache::ReleaseOwned(entry, p, [p] { FreeSlow(p); });
    }
    return FreeSizedSlow(p, n, 1);
  }

  // free_aligned_sized(p, alignment, n) and aligned sized delete.
  template <Family F = Family::kMalloc>
  static void FreeAlignedSized(void* p, size_t alignment, size_t n) {
    if constexpr (kBlockChecks) {
      return FreeChecked<F>(p, n == 0 ? kSizedZero : n);
    }
    FreeSizedSlow(p, n, alignment);
  }

  // count * size into *n, as calloc and reallocarray need it; false with
  // errno ENOMEM when it overflows.
  static bool ArrayBytes(size_t count, size_t size, size_t* n) {
    if (!__builtin_mul_overflow(count, size, n)) return true;
    errno = ENOMEM;
    return false;
  }

  // calloc: zeroed; ENOMEM when count * size overflows.
  static void* Calloc(size_t count, size_t size) {
    size_t n;
    if (!ArrayBytes(count, size, &n)) return nullptr;
    if (n > kMaxSmallSize) {
      void* p = AllocateLarge(n, 0, /*zero=*/true);
      if (kBlockChecks && p != nullptr) NoteAllocation(p, n, Family::kMalloc);
      return p;
    }
    void* p = Allocate(n);
    // With the block checks, a block handed out is zeros as far as it is
    // checked (block_checks.h).
    if (p != nullptr && (!kBlockChecks || n > kFillCheckBytes)) {
      memset(p, 0, n);
    }
    return p;
  }

  // realloc, as glibc: realloc(nullptr, n) is malloc(n); realloc(p, 0)
  // frees p and returns nullptr; on failure p is untouched. In place when
  // n stays in p's class, or p is large and its mapping can be resized.
  static void* Realloc(void* p, size_t n) {
    if (p == nullptr) return Allocate(n);
    if (n == 0) {
      Free(p);
      return nullptr;
    }
    const Block b = Validate(p);
    if (b.index >= 0) {
      if (!b.guarded && n <= kMaxSmallSize &&
          SizeClass(WithCanary(n)) == b.index) {
        if constexpr (kBlockChecks) {
          SlabBlockChecks::OnResize(p, slab::Locate(p), n);
        }
        return p;
      }
    } else if (n > kMaxSmallSize && n <= kMaxRequest &&
               state().large.Resize(p, n)) {
      if constexpr (kBlockChecks) NoteAllocation(p, n, Family::kMalloc);
      return p;
    }
    void* q = Allocate(n);
    if (q == nullptr) return nullptr;
    memcpy(q, p, std::min(n, b.usable));
    Free(p);
    return q;
  }

  // reallocarray: realloc with ENOMEM on overflow.
  static void* ReallocArray(void* p, size_t count, size_t size) {
    size_t n;
    if (!ArrayBytes(count, size, &n)) return nullptr;
    return Realloc(p, n);
  }

  // `n` bytes aligned to `alignment` (a power of two), or nullptr with
  // ENOMEM. Up to the page size from a class whose size is a multiple of the
  // alignment; beyond, a large block.
  template <Family F = Family::kMalloc>
  static void* AlignedAllocate(size_t alignment, size_t n) {
    if (ABSL_PREDICT_FALSE(!Ready())) {
      errno = ENOMEM;
      return nullptr;
    }
    if (n == 0 && alignment <= page_size_) {
      return state().zero.Allocate(alignment);
    }
    void* p;
    const int c = AlignedSizeClass(WithCanary(n), alignment, page_size_);
    if (c < 0) {
      p = AllocateLarge(n, alignment, /*zero=*/false);
    } else {
      const uint32_t id = table_.ids[c];
      p = Cache::Allocate(id, [id] { return AllocateClassSlow(id); });
    }
    if (kBlockChecks && p != nullptr) NoteAllocation(p, n, F);
    return p;
  }

  // malloc_usable_size: the bytes p may use, exactly (its class's size, or
  // its large block's committed pages; with the block checks, the size it
  // was asked for, since the rest holds its canary); 0 for nullptr. Misuse
  // (an address malloc did not hand out) is reported.
  static size_t UsableSize(const void* p) {
    if (p == nullptr) return 0;
    ScopedMisuseCall call("malloc_usable_size");
    return Validate(p).usable;
  }

  // Gives back the calling thread's cached objects, every span with no live
  // object and the retained large blocks (malloc_trim). Returns the bytes
  // given back.
  static size_t ReleaseIdleMemory() {
    if (!ready_.load(std::memory_order_acquire)) return 0;
    return state().allocator.ReleaseIdleMemory() +
           state().large.ReleaseRetained();
  }

  // One decay pass (allocator/decay.h) over the size classes and the
  // retained large blocks; returns the bytes given back.
  static size_t Decay(bool aged) {
    if (!ready_.load(std::memory_order_acquire)) return 0;
    return state().allocator.Decay(aged) + state().large.Decay(aged);
  }

  // The stats report: one row per size class, and one for large blocks.
  // `family` as in WriteReport (stats/report.h).
  static void WriteStatsReport(int fd, ReportFormat format,
                               int family = kAllFamilies) {
    if (!Ready()) return;
    WriteReport(MallocReportView<Allocator>(state().allocator, state().large,
                                            MallocMapper<Config>::Get().name(),
                                            page_size_),
                kName, fd, format, family);
  }

  // The heap profile of sampled allocations, size classes' and large
  // blocks' (SlabAllocator::WriteHeapProfile).
  static void WriteHeapProfile(int fd,
                               ProfileFormat format = ProfileFormat::kText,
                               ProfileKind kind = ProfileKind::kHeap) {
    if (!Ready()) return;
    state().allocator.WriteHeapProfile(fd, format, kind);
  }
  // Starts the allocation and peak profiles over (SlabAllocator::
  // ResetHeapProfile).
  static void ResetHeapProfile() {
    if (!Ready()) return;
    state().large.ResetSampleSites();
    state().allocator.ResetHeapProfile();
  }

  // malloc's counters summed over its size classes and large blocks, for a
  // signal handler: async-signal-safe (no lock, no allocation, no system
  // call, and never builds the allocator; all zero before it is built).
  // Large blocks count their committed pages as in use; reserved and
  // committed bytes include retained large blocks. False, and *out untouched,
  // when a class's counts could not be read (SlabAllocator::ReadCounters).
  static bool ReadCounters(ClassCounters* out) {
    if (!ready_.load(std::memory_order_acquire)) {
      *out = {};
      return true;
    }
    return SumCounters(state().allocator, state().large, table_.ids,
                       kNumClasses, out);
  }

  // The allocator's own stats, for tests: the class serving `n`.
  static absl::StatusOr<ClassStats> StatsForSize(size_t n) {
    if (!Ready()) return absl::UnavailableError("malloc is not built");
    if (n > kMaxSmallSize) return absl::NotFoundError("not a size class");
    return state().allocator.GetStats(ClassId{table_.ids[SizeClass(n)]});
  }
  static LargeAllocator::Stats LargeStats() {
    if (!Ready()) return {};
    return state().large.GetStats();
  }

 private:
  // The fast path of malloc(n), without the block checks.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void* AllocateUnchecked(size_t n) {
    if (ABSL_PREDICT_TRUE(n <= kLookupMax)) {
      // 0 until the allocator is built: entry 0 of the thread cache is never
      // set up, so the first call lands in AllocateSlow, which builds it.
      const uint32_t id = table_.class_id[LookupIndex(n)];
      return Cache::Allocate(id, [n] { return AllocateSlow(n); });
    }
    return AllocateSlow(n);
  }

  // The fast path of free(p), without the block checks.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void FreeUnchecked(void* p) {
    // 64 bits wide: used as an index, the id then needs no zero-extension.
    const size_t entry = slab::LookupClass(p, std::memory_order_relaxed);
    if (ABSL_PREDICT_TRUE(table_.fast_free[entry] != 0)) {
      return Cache::ReleaseOwned(entry, p, [p] { FreeSlow(p); });
    }
    return FreeSlow(p);
  }

  // The bytes a block of n needs: with the block checks, one more (for a
  // canary) below the size from which blocks end at a guard page instead.
  static constexpr size_t WithCanary(size_t n) {
    return kBlockChecks && n != 0 && n < guard::kGuardEachObjectFrom ? n + 1
                                                                     : n;
  }
  // CheckRelease's `sized` for a sized release of 0 bytes.
  static constexpr size_t kSizedZero = ~size_t{0};

  // The block checks of a block handed out for n bytes by `family`, and of
  // one about to be released by `family` (sized: the size given, 0 for
  // none, kSizedZero for 0), on the slow paths; both report misuse.
  ABSL_ATTRIBUTE_NOINLINE static void NoteAllocation(void* p, size_t n,
                                                     Family family);
  ABSL_ATTRIBUTE_NOINLINE static void CheckReleaseSlow(void* p, Family family,
                                                       size_t sized);

  // The block checks on the cache's fast paths (Cache::Allocate and
  // ReleaseOwned with checks), for a block of class `id`.
  template <Family F>
  struct HandOutChecks {
    size_t requested;
    uint32_t id;
    ABSL_ATTRIBUTE_ALWAYS_INLINE void OnHandOut(
        void* p, const typename Cache::ObjectRecord& r) const {
      SlabBlockChecks::OnHandOut(p, {r.state, r.size, r.slot_size}, requested,
                                 F, id);
    }
  };
  template <Family F>
  struct TakeBackChecks {
    size_t sized;
    uint32_t id;
    ABSL_ATTRIBUTE_ALWAYS_INLINE uint8_t
    OnTakeBack(void*, const typename Cache::ObjectRecord&) const {
      return SlabBlockChecks::OnTakeBack(F);
    }
    ABSL_ATTRIBUTE_ALWAYS_INLINE void OnTaken(
        void* p, const typename Cache::ObjectRecord& r) const {
      SlabBlockChecks::OnTaken(p, {r.state, r.size, r.slot_size}, sized, id);
    }
  };

  // free with the block checks (sized as for CheckReleaseSlow).
  template <Family F>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void FreeChecked(void* p, size_t sized) {
    const uint32_t entry = slab::LookupClass(p, std::memory_order_relaxed);
    if (ABSL_PREDICT_TRUE(table_.fast_free[entry] != 0)) {
      return Cache::ReleaseOwned(
          entry, p, [p, sized] { FreeSlowChecked(p, F, sized); },
          TakeBackChecks<F>{sized, entry});
    }
    return FreeSlowChecked(p, F, sized);
  }

  // The slow paths the fast ones tail-call are noexcept: malloc is, and a
  // call from it to a function that may throw needs a frame to catch it.
  ABSL_ATTRIBUTE_NOINLINE static void* AllocateSlowChecked(
      size_t n, Family family) noexcept {
    void* p = AllocateSlow(WithCanary(n));
    if (p != nullptr) NoteAllocation(p, n, family);
    return p;
  }
  ABSL_ATTRIBUTE_NOINLINE static void FreeSlowChecked(void* p, Family family,
                                                      size_t sized) {
    if (p == nullptr) return;
    CheckReleaseSlow(p, family, sized);
    FreeSlow(p);
  }

  struct State {
    explicit State(typename Config::Mapper* mapper)
        : allocator(mapper),
          large(MapperRef(mapper),
                kQuarantine ? LargeAllocator::Retention::kQuarantine
                            : LargeAllocator::Retention::kReuse,
                kLargeReuseBytes, kLargeBlocksName),
          zero(MapperRef(mapper)) {
      allocator.AttachSamples(&large.samples());
    }
    Allocator allocator;
    LargeAllocator large;
    ZeroSizeBlocks zero;
  };

  // Block::index of a large block and of a zero-size block.
  static constexpr int kLargeIndex = -1;
  static constexpr int kZeroSizeIndex = -2;

  // What Validate found: p's usable bytes, its class index (or kLargeIndex,
  // kZeroSizeIndex) and whether it is a sampled object in guarded pages.
  struct Block {
    size_t usable;
    int index;
    bool guarded;
  };

  static State& state() { return *reinterpret_cast<State*>(storage_); }

  static bool Ready() {
    return ABSL_PREDICT_TRUE(ready_.load(std::memory_order_acquire)) || Init();
  }

  ABSL_ATTRIBUTE_NOINLINE static bool Init();
  static bool Build();
  static void AddProcessHooks();

  ABSL_ATTRIBUTE_NOINLINE static void* AllocateSlow(size_t n) noexcept {
    if (ABSL_PREDICT_FALSE(!Ready())) {
      errno = ENOMEM;
      return nullptr;
    }
    // malloc(0) lands here from the fast path: its table entry names no
    // class.
    if (n == 0) return state().zero.Allocate();
    if (n <= kMaxSmallSize) {
      const uint32_t id = table_.ids[SizeClass(n)];
      // Sizes above the lookup table come here first: the cache's fast path
      // runs for them here, so that they are served from the thread's
      // magazine and count down to heap samples as smaller sizes do. Not
      // where samples are protected (the hardened flavour): at its interval
      // a block of many pages is sampled often, and each sample's pages are
      // faulted in anew (mstress took 1.5 times as long), so there they go
      // through the slow path, unsampled.
      if (n > kLookupMax && !Allocator::kProtectSamples) {
        return Cache::Allocate(id, [id] { return AllocateClassSlow(id); });
      }
      return state().allocator.AllocateSlow(ClassId{id});
    }
    return AllocateLarge(n, 0, /*zero=*/false);
  }

  ABSL_ATTRIBUTE_NOINLINE static void* AllocateClassSlow(uint32_t id) noexcept {
    return state().allocator.AllocateSlow(ClassId{id});
  }

  static void* AllocateLarge(size_t n, size_t alignment, bool zero) {
    if (n > kMaxRequest || !Ready()) {
      errno = ENOMEM;
      return nullptr;
    }
    if constexpr (Allocator::kSamples) {
      if (guard::TakeByteSample(n)) {
        return AllocateLargeSampled(n, alignment, zero);
      }
    }
    return state().large.Allocate(n, alignment, zero);
  }
  // A large block recorded for the heap profile, as a size class's sample
  // is (SlabAllocator::AllocateSlow), but in its own mapping as every large
  // block is.
  ABSL_ATTRIBUTE_NOINLINE static void* AllocateLargeSampled(size_t n,
                                                            size_t alignment,
                                                            bool zero) {
    void* stack[guard::kSampleStackDepth];
    LargeAllocator::Sample sample;
    sample.weighted_bytes = SampledBytes(n, guard::SampleInterval());
    sample.stack = stack;
    sample.depth = absl::GetStackTrace(stack, guard::kSampleStackDepth, 1);
    void* p = state().large.Allocate(n, alignment, zero, &sample);
    if (sample.recorded)
      state().allocator.SampleAllocated(sample.weighted_bytes);
    return p;
  }

  ABSL_ATTRIBUTE_NOINLINE static void FreeSlow(void* p);
  ABSL_ATTRIBUTE_NOINLINE static void FreeSizedSlow(void* p, size_t n,
                                                    size_t alignment);
  // Reports p as not malloc's, naming the class that owns it if any.
  [[noreturn]] static void ReportForeign(const void* p);
  // Classifies a pointer the program holds, reporting misuse.
  static Block Validate(const void* p);

  static void ForkPrepare() {
    state().zero.LockForFork();
    state().large.LockForFork();
    state().allocator.LockForFork();
  }
  static void ForkParentOrChild() {
    state().allocator.UnlockAfterFork();
    state().large.UnlockAfterFork();
    state().zero.UnlockAfterFork();
  }

  // What the fast paths read (all zero until the allocator is built).
  static inline SizeClassTable table_ = {};
  static inline size_t page_size_ = 4096;

  static inline std::atomic<bool> ready_{false};
  static inline std::atomic<bool> hooks_added_{false};
  static inline std::mutex build_mu_;
  static inline bool constructed_ = false;  // under build_mu_
  alignas(State) static inline unsigned char storage_[sizeof(State)];
};

template <typename Config>
bool Malloc<Config>::Init() {
  if (tls_building) return false;
  {
    std::lock_guard<std::mutex> lock(build_mu_);
    if (!ready_.load(std::memory_order_relaxed)) {
      tls_building = true;
      bool built;
      try {
        built = Build();
      } catch (...) {  // an error status's message could not be allocated
        built = false;
      }
      tls_building = false;
      if (!built) return false;
      ready_.store(true, std::memory_order_release);
    }
  }
  // Outside the lock, once built: these may call malloc.
  AddProcessHooks();
  return true;
}

template <typename Config>
bool Malloc<Config>::Build() {
  if constexpr (kBlockChecks) guard::InitCanarySecret();
  if (!constructed_) {
    new (storage_) State(&MallocMapper<Config>::Get());
    page_size_ = MallocMapper<Config>::Get().page_size();
    constructed_ = true;
  }
  return table_.RegisterClasses(state().allocator);
}

template <typename Config>
void Malloc<Config>::AddProcessHooks() {
  if (hooks_added_.exchange(true, std::memory_order_acq_rel)) return;
  AddProcessAllocator({&WriteStatsReport, &WriteHeapProfile,
                       Allocator::kSamples, &ForkPrepare, &ForkParentOrChild,
                       &Decay});
}

template <typename Config>
void Malloc<Config>::NoteAllocation(void* p, size_t n, Family family) {
  const uint32_t entry = slab::LookupClass(p);
  if (entry == slab::kLargeChunk) {
    size_t committed = 0;
    if (state().large.Find(p, &committed) !=
        LargeAllocator::FindResult::kBlock) {
      return;
    }
    const size_t before = state().large.GetNote(p).requested;
    if (before != 0) ClearCanaryAfter(static_cast<char*>(p), before, committed);
    state().large.SetNote(p, {n, static_cast<uint8_t>(family)});
    WriteCanaryAfter(static_cast<char*>(p), n, committed);
  } else if (entry & slab::kGuardedChunk) {
    guard::GuardedPool* pool = guard::GuardedPool::Of(p);
    pool->SetNote(p, {static_cast<uint32_t>(n), static_cast<uint8_t>(family)});
    WriteCanaryAfter(static_cast<char*>(p), n, pool->object_size());
  } else if (entry != 0 && entry < slab::kMaxClasses &&
             table_.index_of[entry] != 0) {
    SlabBlockChecks::OnAllocate(p, slab::LocateInSlab(p, entry), n, family);
  }
}

template <typename Config>
void Malloc<Config>::CheckReleaseSlow(void* p, Family family, size_t sized) {
  const uint32_t entry = slab::LookupClass(p);
  Family allocated_by = family;
  size_t requested = sized;
  const char* name = kLargeBlocksName;
  uint32_t id = 0;
  if (entry == slab::kLargeChunk) {
    size_t committed = 0;
    if (state().large.Find(p, &committed) !=
        LargeAllocator::FindResult::kBlock) {
      return;  // the release path says what p is
    }
    const LargeAllocator::Note note = state().large.GetNote(p);
    allocated_by = static_cast<Family>(note.family);
    requested = note.requested;
    if (!CanaryIntactAfter(static_cast<const char*>(p), requested, committed)) {
      ReportMisuse(Misuse::kOverflow, p, name, id,
                   "the bytes after it were written");
    }
  } else if (entry & slab::kGuardedChunk) {
    const guard::GuardedPool* pool = guard::GuardedPool::Of(p);
    if (!pool->Holds(p)) return;  // the release path says what p is
    const guard::GuardedPool::Note note = pool->GetNote(p);
    allocated_by = static_cast<Family>(note.family);
    requested = note.requested;
    name = pool->class_name();
    id = entry & ~slab::kGuardedChunk;
    if (!CanaryIntactAfter(static_cast<const char*>(p), requested,
                           pool->object_size())) {
      ReportMisuse(Misuse::kOverflow, p, name, id,
                   "the bytes after it were written");
    }
  } else if (entry != 0 && entry < slab::kMaxClasses &&
             table_.index_of[entry] != 0) {
    const slab::Location loc = slab::LocateInSlab(p, entry);
    if (loc.object_start) SlabBlockChecks::OnRelease(p, loc, family, sized);
    return;
  } else {
    return;  // zero-size, or not malloc's: the release path says
  }
  if (allocated_by != family) {
    ReportMismatchedRelease(p, name, id, allocated_by, family);
  }
  if (sized != 0 && (sized == kSizedZero ? 0 : sized) != requested) {
    ReportMisuse(Misuse::kSizeMismatch, p, name, id);
  }
}

template <typename Config>
void Malloc<Config>::ReportForeign(const void* p) {
  guard::ReportForeign(p, slab::Locate(p), kName, 0);
}

template <typename Config>
void Malloc<Config>::FreeSlow(void* p) {
  if (p == nullptr) return;
  const uint32_t entry = slab::LookupClass(p);
  if (entry == slab::kLargeChunk) {
    if constexpr (HasNoteSlowPath<Config>::value) Config::NoteSlowPath();
    uint64_t sampled_bytes;
    switch (state().large.Free(p, &sampled_bytes)) {
      case LargeAllocator::FindResult::kBlock:
        if (sampled_bytes != 0) {
          state().allocator.SampleReleased(sampled_bytes);
        }
        return;
      case LargeAllocator::FindResult::kInterior:
        ReportMisuse(Misuse::kInterior, p, kLargeBlocksName, 0);
      case LargeAllocator::FindResult::kFreed:
      case LargeAllocator::FindResult::kNone:  // freed by a racing call
        ReportMisuse(Misuse::kDoubleFree, p, kLargeBlocksName, 0);
    }
  }
  if (entry == slab::kZeroSizeChunk) {
    switch (state().zero.Free(p)) {
      case ZeroSizeBlocks::FreeResult::kOk:
        return;
      case ZeroSizeBlocks::FreeResult::kNotHeld:
        ReportMisuse(Misuse::kDoubleFree, p, kZeroSizeName, 0);
      case ZeroSizeBlocks::FreeResult::kNotABlock:
        ReportMisuse(Misuse::kInterior, p, kZeroSizeName, 0);
    }
  }
  const uint32_t id = entry & ~slab::kGuardedChunk;
  if (ABSL_PREDICT_FALSE(id == 0 || table_.index_of[id] == 0)) {
    ReportForeign(p);
  }
  // Validates the address (interior, double free) and caches or frees it.
  state().allocator.ReleaseSlow(ClassId{id}, p);
}

template <typename Config>
void Malloc<Config>::FreeSizedSlow(void* p, size_t n, size_t alignment) {
  if (p == nullptr) return;
  const Block b = Validate(p);
  if (alignment == 0) alignment = 1;
  const int expected = AlignedSizeClass(n, alignment, page_size_);
  // A large block was allocated with a size or alignment no class serves,
  // and holds at least n bytes.
  const bool fits = b.index == kZeroSizeIndex ? n == 0
                    : b.index < 0             ? (expected < 0 && n <= b.usable)
                                              : expected == b.index;
  if (ABSL_PREDICT_FALSE(!fits)) {
    char name[16];
    if (b.index >= 0) ClassName(b.index, name);
    ReportMisuse(Misuse::kSizeMismatch, p,
                 b.index >= 0                ? name
                 : b.index == kZeroSizeIndex ? kZeroSizeName
                                             : kLargeBlocksName,
                 b.index >= 0 ? table_.ids[b.index] : 0);
  }
  Free(p);
}

template <typename Config>
typename Malloc<Config>::Block Malloc<Config>::Validate(const void* p) {
  const uint32_t entry = slab::LookupClass(p);
  if (entry == slab::kLargeChunk) {
    size_t usable = 0;
    switch (state().large.Find(p, &usable)) {
      case LargeAllocator::FindResult::kBlock:
        if constexpr (kBlockChecks) {
          usable = state().large.GetNote(p).requested;
        }
        return {usable, kLargeIndex, false};
      case LargeAllocator::FindResult::kInterior:
        ReportMisuse(Misuse::kInterior, p, kLargeBlocksName, 0);
      case LargeAllocator::FindResult::kFreed:
      case LargeAllocator::FindResult::kNone:
        ReportMisuse(Misuse::kReleasedObject, p, kLargeBlocksName, 0);
    }
  }
  if (entry == slab::kZeroSizeChunk) {
    if (!state().zero.Held(p)) {
      ReportMisuse(Misuse::kReleasedObject, p, kZeroSizeName, 0);
    }
    return {0, kZeroSizeIndex, false};
  }
  const uint32_t id = entry & ~slab::kGuardedChunk;
  if (ABSL_PREDICT_FALSE(id == 0 || table_.index_of[id] == 0)) {
    ReportForeign(p);
  }
  const int index = table_.index_of[id] - 1;
  const slab::Location loc = slab::Locate(p);
  uint8_t state = slab::kObjectHeld;
  if constexpr (Allocator::kStates) {
    if (!loc.guarded && loc.object_start) {
      state = __atomic_load_n(guard::ObjectState(loc), __ATOMIC_RELAXED) &
              kStateMask;
    }
  }
  if (ABSL_PREDICT_FALSE((!loc.guarded && !loc.object_start) ||
                         state != slab::kObjectHeld)) {
    char name[16];
    ClassName(index, name);
    guard::CheckObjectStart(p, loc, name, id);
    ReportMisuse(state == slab::kObjectReleased ? Misuse::kReleasedObject
                                                : Misuse::kNeverAllocated,
                 p, name, id);
  }
  if constexpr (kBlockChecks) {
    if (!loc.guarded) {
      return {SlabBlockChecks::Requested(loc), index, false};
    }
    const guard::GuardedPool::Note note = guard::GuardedPool::Of(p)->GetNote(p);
    return {note.requested, index, true};
  }
  return {kClassSizes[index], index, loc.guarded};
}

// The malloc of the flavour a target is built as (allocator/flavour.h):
// what the exported malloc libraries and the fuzzer that drives their entry
// points are built on.
using BuildMalloc = Malloc<MallocConfig<kBuildMitigations>>;

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_MALLOC_H_

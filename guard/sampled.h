// Sampled guarded allocations (after Slitter's author's "sampling eFence",
// and GWP-ASan): in the hardened flavour, about one allocation in N is served
// from a slot of its own, at the end of its page(s) against a guard page.
// On release the slot's pages are made inaccessible and kept in quarantine
// for a while. An overflow off the end of such an object, an underflow
// before it, or a use after it is released then faults, and a SIGSEGV
// handler reports the kind, the address, the class, and where the object
// was allocated and released.
//
// Sampled objects are still their class's memory (the slots belong to a
// chunk of that class), so type stability holds; but a quarantined object is
// not readable, which is the point.
#ifndef SLABKIT_GUARD_SAMPLED_H_
#define SLABKIT_GUARD_SAMPLED_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "guard/sample_sites.h"
#include "mapper/mapper.h"
#include "slab/chunk.h"
#include "slab/metadata_arena.h"

namespace slabkit {
namespace guard {

// About one allocation per this many bytes allocated is sampled, per thread
// (gaps exponentially distributed with this mean, as tcmalloc and jemalloc
// sample for heap profiles): the sample is placed in a guarded slot and
// recorded for the heap profile. 0 turns sampling off; 1 samples every
// allocation while its class's pool has a free slot (GuardedPool::Allocate).
// The flavours' defaults: the fast flavour samples for heap profiles only
// (tcmalloc's interval), the hardened one four times more often.
inline constexpr uint64_t kDefaultSampleInterval = uint64_t{2} << 20;
inline constexpr uint64_t kHardenedSampleInterval = uint64_t{256} << 10;
// Takes effect at once on the calling thread (its countdowns restart), and
// on other threads at their next sample.
void SetSampleInterval(uint64_t bytes);
// Sets the interval unless the program (or an option) has set one.
void SetDefaultSampleInterval(uint64_t bytes);
uint64_t SampleInterval();

// Two ways of counting down to the next sample:
//
// A per-thread countdown in bytes, for allocations no cache entry serves:
// SampleTick subtracts each allocation's bytes; when it returns true,
// ConsumeSample says whether this allocation is sampled and restarts the
// countdown (a zero-initialized countdown sends the first allocation there
// too, and only starts counting).
extern __thread int64_t tls_sample_countdown
    __attribute__((tls_model("initial-exec")));
inline bool SampleTick(uint64_t bytes) {
  return (tls_sample_countdown -= static_cast<int64_t>(bytes)) <= 0;
}
bool ConsumeSample();
// Both steps, for a slow path that counts an allocation of `bytes` itself.
inline bool TakeByteSample(uint64_t bytes) {
  return SampleTick(bytes) && ConsumeSample();
}

// A countdown in objects, kept in a thread's cache entry for one class
// (magazine/class_cache.h): the fast path subtracts one per allocation, an
// immediate, and takes its slow path when the count goes below zero. Since
// every object of the class has the same size, counting the class's
// allocations to ceil(gap / size) is counting its bytes to the gap: each
// byte is as likely to be sampled as with the byte countdown.
//
// What a countdown is set to after a sample: objects of `object_size` to let
// pass before the next (exponential gap; about 2^16 with sampling off, so
// that a thread sees the interval turned on again).
int32_t NextSampleCountdown(size_t object_size);
// Set in a thread's entries by a change of interval: the next allocation
// goes to the slow path, which restarts the countdown without sampling.
inline constexpr int32_t kRestartCountdown = -(1 << 30);
// On the slow path, for an entry whose countdown went below zero: whether
// this allocation is sampled (not for a restart, nor for an entry that was
// not counting yet, `counting` false, unless every allocation is sampled);
// restarts *countdown either way.
bool ConsumeEntrySample(int32_t* countdown, size_t object_size, bool counting);

// Who keeps countdowns of their own (a cache's thread-local table) registers
// a function that restarts the calling thread's, which SetSampleInterval
// calls. Up to 16; registering the same function again does nothing.
void AddCountdownRestart(void (*restart)());

// What a pool needs to know of its class.
struct SampledClass {
  uint32_t id;
  const char* name;  // lives as long as the class
  size_t size;       // bytes the program asked for
  size_t alignment;
  MapperRef mapper;  // the class's
  // Released objects' pages are decommitted and made inaccessible, so that a
  // use after release faults (the hardened flavour); otherwise they keep
  // their bytes and stay readable (type stability: the fast flavour).
  bool protect_released;
  // Objects are handed out as zeros. Without it, a slot released readable
  // is handed out again with its last object's bytes, as the class's other
  // objects are (clearing a 64 KiB sample cost malloc 2,000 instructions
  // per pair at that size); a slot released protected is always cleared.
  bool zero_init = true;
};

// Guarded slots of one class: a 4 MiB chunk of the class's mapper, holding
// several hundred slots (a few for classes of a quarter megabyte); a class
// has as many as GuardedPoolList gives it. Thread-safe.
class GuardedPool {
 public:
  // A pool for `cls`, its records in `arena`; nullptr when memory cannot
  // be had. Installs the fault handler on first use.
  static GuardedPool* Create(const SampledClass& cls,
                             slab::MetadataArena* arena);

  // A guarded object (zero-filled, but as SampledClass::zero_init says), or
  // nullptr when no slot is free: the caller allocates normally then. When
  // every slot is held or quarantined, the oldest quarantined slot is taken,
  // unless `cut_quarantine` is false. `weighted_bytes`: the bytes the sample
  // stands for (kept with it for Release).
  void* Allocate(uint64_t weighted_bytes = 0, bool cut_quarantine = true);

  enum class ReleaseResult { kOk, kInterior, kDoubleFree };
  // Puts p's slot in quarantine; on kOk, *weighted_bytes (when not null)
  // is what Allocate was given. On an error result nothing changes.
  ReleaseResult Release(void* p, uint64_t* weighted_bytes = nullptr);

  const char* class_name() const { return cls_.name; }
  // Bytes of each object (the class's size): it ends where a guard begins.
  size_t object_size() const { return cls_.size; }

  // For malloc's release checks: a note kept with the object at p (a held
  // object of this pool): how it was allocated, and at what size. Unset
  // notes read as zeros.
  struct Note {
    uint32_t requested;
    uint8_t family;
  };
  void SetNote(const void* p, Note note);
  Note GetNote(const void* p) const;

  // Whether `p` is the start of an object of this pool the program holds
  // (not released): checks that read the object must ask first, since a
  // released object's pages fault.
  bool Holds(const void* p) const;

  // Calls f(stack, depth, live, allocations) for every sampled object the
  // program holds (live 1, allocations 0) and every allocation site of the
  // pool's samples since it was made or ResetAllocations (live 0,
  // allocations n): racy against concurrent allocation, a snapshot for
  // profiles. Takes no lock.
  template <typename F>
  void ForEachSample(F&& f) const {
    ForEachHeldSlot([&](const Slot& slot) {
      f(slot.alloc_stack,
        static_cast<int>(slot.alloc_depth.load(std::memory_order_relaxed)),
        uint64_t{1}, uint64_t{0});
    });
    sites_->ForEach([&](void* const* stack, int depth, size_t /*size*/,
                        uint64_t allocations) {
      f(stack, depth, uint64_t{0}, allocations);
    });
  }

  // Calls f(stack, depth) for every sampled object the program holds, with
  // its allocation site's stack (which outlives the object; a snapshot, as
  // ForEachSample).
  template <typename F>
  void ForEachHeld(F&& f) const {
    ForEachHeldSlot([&](const Slot& slot) {
      void* const* stack;
      int depth;
      sites_->Stack(slot.site.load(std::memory_order_relaxed), &stack, &depth);
      f(stack, depth);
    });
  }

  // Counts the allocation sites from zero again (for an allocation profile
  // since then); held samples stay. Const as the profile's reads are: the
  // counts are statistics, not the pool's state.
  void ResetAllocations() const { sites_->Reset(); }

  // The bytes the pool's slots take beyond the objects they hold (the
  // rounding to pages, and the guard pages): what sampling costs.
  size_t overhead_bytes() const { return num_slots_ * (stride_ - cls_.size); }

  // For tests: slots, and slots holding a live object.
  size_t slots() const { return num_slots_; }
  size_t live() const;

  // The pool whose chunk holds `p`, which the page map marked guarded.
  static GuardedPool* Of(const void* p);

  // Describes a fault at `addr` in this pool's chunk on stderr.
  void ReportFault(const void* addr) const;

  // Fork safety (pthread_atfork): takes the lock, so that no other thread
  // holds it while the process forks; the parent and the child release it.
  void LockForFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  friend class GuardedPoolList;

  static constexpr int kStackDepth = kSampleStackDepth;
  static constexpr uint8_t kFree = 0, kHeld = 1, kQuarantined = 2;
  // The fields profiles read without a lock (ForEachSample, ForEachHeld)
  // are atomics, read and written relaxed: a slot released and handed out
  // again during a profile's walk is read half old, half new, which a
  // snapshot may be, but never as a data race.
  struct Slot {
    std::atomic<uint8_t> state;
    std::atomic<uint8_t> alloc_depth;
    uint8_t release_depth;
    bool committed;  // kept committed and readable while released
    // Released protected with its page kept (keep_resident_): made
    // accessible and cleared when handed out again.
    bool resident;
    std::atomic<uint8_t> site;  // its allocation site's index
    Note note;
    uint64_t weighted_bytes;
    void* alloc_stack[kStackDepth];
    void* release_stack[kStackDepth];
  };

  // Calls f(const Slot&) for each slot the program holds an object of.
  template <typename F>
  void ForEachHeldSlot(F&& f) const {
    for (size_t i = 0; i < num_slots_; ++i) {
      if (slots_[i].state.load(std::memory_order_acquire) == kHeld) {
        f(slots_[i]);
      }
    }
  }

  // Allocation sites (open addressing on the stack; Count under mu_).
  using Sites = SampleSites<64>;

  GuardedPool(const SampledClass& cls, char* chunk, Slot* slots,
              uint16_t* free_list, uint16_t* quarantine, Sites* sites,
              size_t num_slots, size_t data_bytes);
  char* SlotBase(size_t i) const { return first_slot_ + i * stride_; }
  char* ObjectOf(size_t i) const { return SlotBase(i) + object_offset_; }
  // The slot whose pages (or guard) hold `addr`.
  size_t SlotIndex(const void* addr) const;

  const SampledClass cls_;
  char* const first_slot_;
  const size_t data_bytes_;     // committed pages per slot
  const size_t stride_;         // data_bytes_ + a guard page
  const size_t object_offset_;  // the object ends where the guard begins
  const size_t num_slots_;
  Slot* const slots_;
  Sites* const sites_;
  mutable std::mutex mu_;
  uint16_t* const free_ ABSL_GUARDED_BY(mu_);
  size_t free_count_ ABSL_GUARDED_BY(mu_);
  uint16_t* const quarantine_ ABSL_GUARDED_BY(mu_);  // a ring, oldest first
  size_t quarantine_head_ ABSL_GUARDED_BY(mu_) = 0;
  size_t quarantine_count_ ABSL_GUARDED_BY(mu_) = 0;
  const size_t quarantine_capacity_;
  // One-page slots of a pool that protects released ones keep their page
  // (protected) while fewer than quarantine_capacity_ do (resident_count_).
  const bool keep_resident_;
  size_t resident_count_ ABSL_GUARDED_BY(mu_) = 0;
  // The class's pool made before this one (GuardedPoolList): set before
  // this pool is published, never changed.
  GuardedPool* older_ = nullptr;
};

// Slots of pools beyond each class's first, process-wide, that further
// pools may bring: a slot holding an object, or released readable, is two
// kernel mappings (its pages, and the guard after them), so this keeps them
// to a quarter of vm.max_map_count.
size_t ExtraPoolSlotBudget();
// Such slots made so far.
size_t ExtraPoolSlots();
// For tests: sets the budget (0 restores the default).
void SetExtraPoolSlotBudgetForTesting(size_t slots);

// A class's guarded pools, newest first. A pool is added when a sample finds
// every slot of the others held (MayAdd), so the samples a class holds, and
// with them its heap profile's estimate, grow with its live bytes; pools
// stay for the class's life. Allocate and the walks take no list lock;
// MayAdd and Add are serialized by the caller.
class GuardedPoolList {
 public:
  // A guarded object from the newest pool with a free slot, else from the
  // newest with a quarantined one (GuardedPool::Allocate), or nullptr when
  // every pool's slots are held.
  void* Allocate(uint64_t weighted_bytes);
  // Whether another pool may be made for a class whose slab reserves
  // `slab_reserved_bytes`: its first always; more while the pools' overhead
  // (GuardedPool::overhead_bytes) is under kMaxOverheadPerSlab times that,
  // and the process's ExtraPoolSlots under their budget. The overhead bound
  // matters only where nearly every allocation of small objects is sampled
  // (sample_interval=1): a slot then costs a page and a guard for a few
  // bytes. A sampling interval above the object size keeps the overhead a
  // small fraction of the slab.
  static constexpr size_t kMaxOverheadPerSlab = 2;
  bool MayAdd(size_t slab_reserved_bytes) const;
  // Makes `pool` the newest.
  void Add(GuardedPool* pool);
  size_t size() const { return size_.load(std::memory_order_acquire); }
  // Calls f(GuardedPool&) for each pool, newest first.
  template <typename F>
  void ForEach(F&& f) const {
    for (GuardedPool* p = newest_.load(std::memory_order_acquire); p != nullptr;
         p = p->older_) {
      f(*p);
    }
  }

 private:
  std::atomic<GuardedPool*> newest_{nullptr};
  std::atomic<size_t> size_{0};
  std::atomic<size_t> overhead_bytes_{0};
};

// Installs (once per process) the SIGSEGV and SIGBUS handler that reports
// faults in guarded slots and in malloc's zero-size blocks, and forwards
// every other signal where it would have gone (sampled.cc).
void EnsureFaultHandler();

// The name of the class owning `p`, which Locate() found in a class's slab
// chunk or in a chunk of guarded slots (for diagnostics).
inline const char* OwnerName(const void* p, const slab::Location& loc) {
  return loc.guarded ? GuardedPool::Of(p)->class_name() : loc.chunk->class_name;
}

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_SAMPLED_H_

// LargeAllocator: malloc's blocks above the largest size class, each in a
// mapping of its own, with guard pages on both sides and its record out of
// band.
//
//   window (kChunkSize-aligned, a whole number of chunks, address space only)
//   | leading guard | data: committed pages | trailing guard: the rest    |
//     >= 1 page,                              >= 1 page, never committed
//     the alignment when larger
//
// Every chunk of a window is marked kLargeChunk in the page map, so free()
// tells a large block from a slab object with the same single load; the
// block's record (where its data starts, how much is committed) sits in a
// BlockTable keyed by chunk, in mapper memory. A window is whole chunks, so
// no other mapping can share one: an address in a marked chunk is in a
// block's guard or data, and which one is exact.
//
// What becomes of a freed block's window (Retention):
// - kUnmap: unmapped at once;
// - kReuse: retained mapped and committed, its record kept and marked freed,
//   for a later request whose window is the retained one's size or up to
//   half of it and whose data is at least half what the window has
//   committed; it takes the window with no system call, or one to commit
//   the difference. At most kRetainedSlots windows are retained, holding at
//   most the retained limit (the larger of `reuse_bytes` and half the live
//   blocks' committed bytes) committed, the oldest evicted first;
// - kQuarantine (Mitigations::kLargeQuarantine): its data is made
//   inaccessible and its record marked freed, and it is not reused until
//   kRetainedSlots more blocks have been freed or, sooner, until newer
//   freed windows make up half of the retained limit (always at least one
//   frees later): a use after free faults, and the address goes to no
//   other block (which a stale pointer could then free). Then, as kReuse,
//   it may serve a request, its pages made accessible again with their
//   bytes (the mapper's Unprotect; without one they are given back and
//   fault in as zeros), so that steady-state large allocation makes no
//   mapping and faults no page. Retained windows keep at most the retained
//   limit committed (the oldest windows' pages go back first; their windows
//   stay), and at most kCapacity windows are retained, the oldest unmapped
//   first.
// A retained block is still known, so freeing it again is told apart
// (kFreed) from freeing an address never allocated. ReleaseRetained() gives
// every retained window back.
//
// Sampled blocks (heap profiles) are recorded in a SampleTable with their
// allocation sites; the record goes with the block's free.
//
// Thread-safe; every call takes one lock (most also make system calls).
// Never calls malloc.
#ifndef SLABKIT_MALLOC_LARGE_H_
#define SLABKIT_MALLOC_LARGE_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "guard/sample_table.h"
#include "malloc/block_table.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace malloc {

class LargeAllocator {
 public:
  enum class Retention { kUnmap, kReuse, kQuarantine };
  static constexpr int kRetainedSlots = 16;
  // Windows retained at most: kRetainedSlots, and as many again in
  // quarantine.
  static constexpr int kCapacity = 2 * kRetainedSlots;

  // `mapper` must outlive the allocator and its blocks; its page size must
  // divide slab::kChunkSize. `reuse_bytes` is the floor of the retained
  // limit, which bounds what kReuse and kQuarantine keep committed.
  // `name` is the blocks' class name in heap profiles.
  explicit LargeAllocator(MapperRef mapper,
                          Retention retention = Retention::kUnmap,
                          size_t reuse_bytes = 0, const char* name = "large");
  LargeAllocator(const LargeAllocator&) = delete;
  LargeAllocator& operator=(const LargeAllocator&) = delete;

  // A sampled allocation, for the heap profile: what it stands for and
  // where it was made; Allocate sets `recorded`.
  struct Sample {
    uint64_t weighted_bytes;
    void* const* stack;
    int depth;
    bool recorded;
  };

  // A block of at least `size` bytes (0 is taken as 1) aligned to
  // `alignment` (a power of two; the page size when smaller), zero-filled
  // unless `zero` is false; nullptr with errno ENOMEM when it cannot be had.
  // With `sample`, the block is recorded as sampled, at `size` bytes, unless
  // samples() is full (sample->recorded says which).
  void* Allocate(size_t size, size_t alignment, bool zero = true,
                 Sample* sample = nullptr);

  enum class FindResult {
    kBlock,     // the start of a live block
    kInterior,  // inside a block's window, not its start
    kFreed,     // the start of a freed block whose window is retained
    kNone,      // not in any block's window
  };
  // Classifies `p`. For kBlock, `*usable` is the block's committed size.
  FindResult Find(const void* p, size_t* usable) const;

  // Frees the block starting at `p` (retaining or unmapping its window); the
  // result says what `p` was, and nothing changes unless it is kBlock. When
  // the block was recorded as sampled, `*sampled_bytes` (when not null) is
  // its Sample's weighted_bytes, else 0.
  FindResult Free(void* p, uint64_t* sampled_bytes = nullptr);

  // The sampled blocks the program holds, and their allocation sites.
  const guard::SampleTable& samples() const { return samples_; }
  // Counts the sites from zero again (an allocation profile from now on).
  void ResetSampleSites();

  // For malloc's release checks: a note kept with the live block at `p`,
  // how it was allocated and at what size (zeros until set).
  struct Note {
    size_t requested;
    uint8_t family;
  };
  void SetNote(const void* p, Note note);
  Note GetNote(const void* p) const;

  // Makes the block at `p` (a kBlock) hold `size` bytes without moving it:
  // shrinking returns the pages past the new end (they become guard), growing
  // commits pages from the trailing guard while a page of it remains. False
  // when it cannot (the block is unchanged).
  bool Resize(void* p, size_t size);

  // Unmaps every retained window; returns the committed bytes given back.
  // Allocate calls it too, before failing for want of address space.
  size_t ReleaseRetained();

  // One decay pass (allocator/decay.h): retained windows that were already
  // retained at the previous pass give their memory back (kReuse: unmapped;
  // kQuarantine: their pages decommitted, the windows kept in quarantine);
  // with !aged, every retained window does. Returns the committed bytes
  // given back.
  size_t Decay(bool aged);

  struct Stats {
    uint64_t allocations = 0;
    uint64_t reuses = 0;  // allocations that took a retained window
    uint64_t releases = 0;
    uint64_t live = 0;
    size_t committed_bytes = 0;  // live blocks' data
    size_t reserved_bytes = 0;   // their windows
    size_t retained_blocks = 0;  // freed, windows retained
    size_t retained_bytes = 0;   // committed in retained windows
    size_t returned_bytes = 0;   // freed blocks' pages given back, in total
    size_t retained_reserved_bytes = 0;
    size_t metadata_bytes = 0;  // the block table
  };
  Stats GetStats() const;
  // The same without the lock, from any thread or a signal handler
  // (async-signal-safe): each count as it was at one moment of the read.
  Stats ReadStats() const;

  // Fork safety: see SlabAllocator::LockForFork.
  void LockForFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  using Entry = BlockTable::Entry;

  // Takes a retained window of `window` to 2 * `window` bytes whose start
  // suits `alignment` and makes it hold `data` bytes at window + alignment;
  // null when none.
  char* ReuseLocked(size_t window, size_t alignment, size_t data, bool zero)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the window from the table and the page map; the caller unmaps it.
  void ForgetLocked(uintptr_t first, size_t window)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets retained_[i]; the caller unmaps it.
  void EvictLocked(int i, char** base, size_t* window)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives back a retained window's pages, keeping the window; false when
  // the mapper cannot.
  bool DecommitRetainedLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The retained limit (above): what retained windows may keep committed.
  size_t RetainLimitLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // kQuarantine: the index in retained_ of the oldest window still in
  // quarantine (num_retained_ when none is).
  int FirstQuarantinedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes retained_[i], keeping the rest oldest first.
  void UnretainLocked(int i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Records `sample` for the live block `e` of `size` bytes.
  void RecordSampleLocked(Entry* e, size_t size, Sample* sample)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const MapperRef mapper_;
  const size_t page_;
  const Retention retention_;
  const size_t reuse_bytes_;
  mutable std::mutex mu_;
  BlockTable table_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // First chunk of each retained window, oldest first.
  uintptr_t retained_[kCapacity] ABSL_GUARDED_BY(mu_) = {};
  int num_retained_ ABSL_GUARDED_BY(mu_) = 0;
  // Add, Remove and Reset under mu_; read without it.
  guard::SampleTable samples_;
};

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_LARGE_H_

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
// hash table keyed by chunk, in mapper memory. A window is whole chunks, so
// no other mapping can share one: an address in a marked chunk is in a
// block's guard or data, and which one is exact.
//
// Freed blocks may be cached (`cache_bytes`): the window stays mapped and
// committed, its record stays in the table marked freed, and a later request
// needing a window of the same size takes it with no system call, or one to
// commit or return the difference. A cached block is still known, so freeing
// it again is told apart (kFreed) from freeing an address never allocated.
// The cache holds at most kCacheSlots windows and `cache_bytes` of committed
// memory, evicting the oldest; ReleaseCached() empties it.
//
// Or freed blocks may be quarantined (the hardened flavour): the data is
// decommitted and made inaccessible, the window stays reserved and its
// record marked freed, and the window is never reused. So a use after free
// faults, a second free is told apart (kFreed), and the address goes to no
// other block (which a stale pointer could then free) until kCacheSlots
// more blocks have been freed, or ReleaseCached().
//
// Thread-safe; every call takes one lock (most also make system calls).
// Never calls malloc.
#ifndef SLABKIT_MALLOC_LARGE_H_
#define SLABKIT_MALLOC_LARGE_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace dropin {

class LargeAllocator {
 public:
  // `mapper` must outlive the allocator and its blocks; its page size must
  // divide slab::kChunkSize.
  // `cache_bytes` 0 caches nothing: every free unmaps at once (or, with
  // `quarantine`, keeps the window reserved and inaccessible, as above).
  explicit LargeAllocator(MapperRef mapper, size_t cache_bytes = 0,
                          bool quarantine = false);
  LargeAllocator(const LargeAllocator&) = delete;
  LargeAllocator& operator=(const LargeAllocator&) = delete;

  // A block of at least `size` bytes (0 is taken as 1) aligned to
  // `alignment` (a power of two; the page size when smaller), zero-filled
  // unless `zero` is false; nullptr with errno ENOMEM when it cannot be had.
  void* Allocate(size_t size, size_t alignment, bool zero = true);

  enum class FindResult {
    kBlock,     // the start of a live block
    kInterior,  // inside a block's window, not its start
    kFreed,     // the start of a freed block still cached
    kNone,      // not in any block's window
  };
  // Classifies `p`. For kBlock, `*usable` is the block's committed size.
  FindResult Find(const void* p, size_t* usable) const;

  // Caches or unmaps the block starting at `p`; the result says what `p`
  // was, and nothing changes unless it is kBlock.
  FindResult Free(void* p);

  // Makes the block at `p` (a kBlock) hold `size` bytes without moving it:
  // shrinking returns the pages past the new end (they become guard), growing
  // commits pages from the trailing guard while a page of it remains. False
  // when it cannot (the block is unchanged).
  bool Resize(void* p, size_t size);

  // Unmaps every cached (or quarantined) block; returns the committed bytes
  // given back. Allocate calls it too, before failing for want of address
  // space.
  size_t ReleaseCached();

  struct Stats {
    uint64_t allocations = 0;
    uint64_t cache_hits = 0;  // allocations that reused a cached window
    uint64_t releases = 0;
    uint64_t live = 0;
    size_t committed_bytes = 0;  // live blocks' data
    size_t reserved_bytes = 0;   // their windows
    size_t cached_blocks = 0;
    size_t cached_bytes = 0;  // committed in cached windows
    size_t cached_reserved_bytes = 0;
    size_t metadata_bytes = 0;  // the record table
  };
  Stats GetStats() const;
  // The same without the lock, from any thread or a signal handler
  // (async-signal-safe): each count as it was at one moment of the read.
  Stats ReadStats() const;

  static constexpr int kCacheSlots = 16;

  // Fork safety: see SlabAllocator::LockForFork.
  void LockForFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  // One per chunk of a live window. The record of a block lives in the
  // entry of its window's first chunk; the others point back to it.
  struct Entry {
    uintptr_t chunk;  // chunk index (address >> kChunkShift); 0: empty slot
    uintptr_t first;  // the window's first chunk index
    char* data;       // first entry only: the block's start
    size_t committed;
    size_t window_bytes;
    bool cached;  // first entry only: freed, kept in cache_
  };

  // Takes a cached window of `window` bytes whose start suits `alignment`
  // and makes it hold `data` bytes at window + alignment; null when none.
  char* ReuseLocked(size_t window, size_t alignment, size_t data, bool zero)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the window from the table and the page map; the caller unmaps it.
  void ForgetLocked(uintptr_t first, size_t window)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Uncaches and forgets the oldest cached window; the caller unmaps it.
  void EvictOldestLocked(char** base, size_t* window)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes cache_[i], keeping the rest oldest first.
  void UncacheLocked(int i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Entry* FindEntryLocked(uintptr_t chunk) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool InsertLocked(const Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(uintptr_t chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Room for `extra` more entries at most half full; false without memory.
  bool ReserveLocked(size_t extra) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t SlotOf(uintptr_t chunk) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The first entry of the window holding `p`, or null.
  Entry* BlockOfLocked(const void* p) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const MapperRef mapper_;
  const size_t page_;
  mutable std::mutex mu_;
  // Open addressing, linear probing, at most half full; mapped from the
  // mapper, never from malloc.
  Entry* table_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t capacity_ ABSL_GUARDED_BY(mu_) = 0;  // a power of two
  size_t used_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  const size_t cache_bytes_;
  const bool quarantine_;
  // First chunk of each cached window, oldest first.
  uintptr_t cache_[kCacheSlots] ABSL_GUARDED_BY(mu_) = {};
  int cached_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dropin
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_LARGE_H_

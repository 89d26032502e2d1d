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
// Thread-safe; every call takes one lock (each also makes system calls).
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
  explicit LargeAllocator(MapperRef mapper);
  LargeAllocator(const LargeAllocator&) = delete;
  LargeAllocator& operator=(const LargeAllocator&) = delete;

  // A block of at least `size` bytes (0 is taken as 1) aligned to
  // `alignment` (a power of two; the page size when smaller), zero-filled;
  // nullptr with errno ENOMEM when it cannot be had.
  void* Allocate(size_t size, size_t alignment);

  enum class FindResult {
    kBlock,     // the start of a live block
    kInterior,  // inside a block's window, not its start
    kNone,      // not in any block's window
  };
  // Classifies `p`. For kBlock, `*usable` is the block's committed size.
  FindResult Find(const void* p, size_t* usable) const;

  // Unmaps the block starting at `p`; the result says what `p` was, and
  // nothing changes unless it is kBlock.
  FindResult Free(void* p);

  // Makes the block at `p` (a kBlock) hold `size` bytes without moving it:
  // shrinking returns the pages past the new end (they become guard), growing
  // commits pages from the trailing guard while a page of it remains. False
  // when it cannot (the block is unchanged).
  bool Resize(void* p, size_t size);

  struct Stats {
    uint64_t allocations = 0;
    uint64_t releases = 0;
    uint64_t live = 0;
    size_t committed_bytes = 0;  // live blocks' data
    size_t reserved_bytes = 0;   // their windows
    size_t metadata_bytes = 0;   // the record table
  };
  Stats GetStats() const;

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
  };

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
};

}  // namespace dropin
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_LARGE_H_

// PageMap: from any address to the slabkit class that owns it, in two loads,
// without locks or hashing. Process-wide, shared by every allocator.
#ifndef SLABKIT_SLAB_PAGE_MAP_H_
#define SLABKIT_SLAB_PAGE_MAP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/base/optimization.h"
#include "absl/status/status.h"

namespace slabkit {
namespace slab {

// Memory is handed to classes in chunks of this size, aligned to it: the unit
// the page map records.
inline constexpr int kChunkShift = 22;
inline constexpr size_t kChunkSize = size_t{1} << kChunkShift;  // 4 MiB

// Addresses at or above 2^kAddressBits are never managed: the x86-64 user
// address space (a mapper handing out higher addresses gets an error).
inline constexpr int kAddressBits = 47;

// Class ids run from 1 to kMaxClasses - 1; 0 means "no class".
inline constexpr uint32_t kMaxClasses = 4096;

// Set in a page-map entry (with the class id) for a chunk of guarded slots
// (guard/sampled.h) rather than a slab chunk: such a chunk has no
// ChunkHeader, and a fast path comparing the entry with a class id falls to
// its slow path.
inline constexpr uint32_t kGuardedChunk = 0x8000;

// The page-map entry of a chunk of a large allocation (c_api/malloc's
// blocks above the largest class, mapped on their own): no class, no
// ChunkHeader. Like kGuardedChunk it fails every fast path's comparison.
inline constexpr uint32_t kLargeChunk = 0x4000;
// The page-map entry of a chunk of malloc's zero-size blocks (malloc(0)):
// address space that is never accessible, handed out 16 bytes at a time.
inline constexpr uint32_t kZeroSizeChunk = 0x2000;
static_assert(kMaxClasses <= kZeroSizeChunk,
              "class ids must not reach the flags");

// A new process-wide class id, never handed out before; 0 when all are used.
uint32_t NewClassId();

namespace page_map_internal {
// Flat: one class id per chunk of the 47-bit user address space, 2^25
// 16-bit entries (64 MiB of BSS). Only the pages covering chunks in use are
// ever written; a lookup of an address nowhere near slabkit reads the
// kernel's shared zero page. One load, no pointer chasing.
inline constexpr int kEntries = 1 << (kAddressBits - kChunkShift);
// Plain integers accessed with atomic builtins, not std::atomic: an array of
// 2^25 std::atomic gets a start-up loop over its constructors in unoptimized
// builds (tens of milliseconds in every process, malloc's included).
extern uint16_t class_of[kEntries];
static_assert(kMaxClasses <= 65536, "class ids must fit the map's entries");
}  // namespace page_map_internal

// The id of the class whose chunk contains `addr`, or 0 when slabkit does not
// manage it. Wait-free (one load); safe on any address, including wild ones.
// With the default acquire order, the chunk's header is visible once its id
// is; a caller that only compares the id may pass relaxed.
inline uint32_t LookupClass(
    const void* addr, std::memory_order order = std::memory_order_acquire) {
  // One shift gives both the entry and, bounded, the address check.
  const uintptr_t index = reinterpret_cast<uintptr_t>(addr) >> kChunkShift;
  if (ABSL_PREDICT_FALSE(index >= uintptr_t{page_map_internal::kEntries})) {
    return 0;
  }
  const uint16_t* entry = &page_map_internal::class_of[index];
  // `order` is a constant wherever this is inlined: one plain load on x86.
  return order == std::memory_order_relaxed
             ? __atomic_load_n(entry, __ATOMIC_RELAXED)
             : __atomic_load_n(entry, __ATOMIC_ACQUIRE);
}

// Records the chunk at `chunk` (kChunkSize-aligned) as owned by `class_id`.
// Any header the chunk carries must be written before this call: a thread
// that sees the id also sees the header. InvalidArgument for a misaligned
// chunk, an address at or above 2^kAddressBits, or id 0.
absl::Status RegisterChunk(void* chunk, uint32_t class_id,
                           bool guarded = false);

// Records the chunk at `chunk` (kChunkSize-aligned) as part of a large
// allocation, or (RegisterSpecialChunk) with another flag entry
// (kZeroSizeChunk). InvalidArgument for a misaligned or too high address.
absl::Status RegisterLargeChunk(void* chunk);
absl::Status RegisterSpecialChunk(void* chunk, uint32_t entry);

// Forgets a chunk recorded by RegisterChunk or RegisterLargeChunk.
void UnregisterChunk(void* chunk);

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_PAGE_MAP_H_

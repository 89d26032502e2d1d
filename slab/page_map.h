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

// A new process-wide class id, never handed out before; 0 when all are used.
uint32_t NewClassId();

namespace page_map_internal {
// Flat: one class id per chunk of the 47-bit user address space, 2^25
// 16-bit entries (64 MiB of BSS). Only the pages covering chunks in use are
// ever written; a lookup of an address nowhere near slabkit reads the
// kernel's shared zero page. One load, no pointer chasing.
inline constexpr int kEntries = 1 << (kAddressBits - kChunkShift);
extern std::atomic<uint16_t> class_of[kEntries];
static_assert(kMaxClasses <= 65536, "class ids must fit the map's entries");
}  // namespace page_map_internal

// The id of the class whose chunk contains `addr`, or 0 when slabkit does not
// manage it. Wait-free (one load); safe on any address, including wild ones.
// With the default acquire order, the chunk's header is visible once its id
// is; a caller that only compares the id may pass relaxed.
inline uint32_t LookupClass(
    const void* addr, std::memory_order order = std::memory_order_acquire) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  if (ABSL_PREDICT_FALSE((a >> kAddressBits) != 0)) return 0;
  return page_map_internal::class_of[a >> kChunkShift].load(order);
}

// Records the chunk at `chunk` (kChunkSize-aligned) as owned by `class_id`.
// Any header the chunk carries must be written before this call: a thread
// that sees the id also sees the header. InvalidArgument for a misaligned
// chunk, an address at or above 2^kAddressBits, or id 0.
absl::Status RegisterChunk(void* chunk, uint32_t class_id,
                           bool guarded = false);

// Forgets a chunk recorded by RegisterChunk.
void UnregisterChunk(void* chunk);

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_PAGE_MAP_H_

// PageMap: from any address to the slabkit class that owns it, in two loads,
// without locks or hashing. Process-wide, shared by every allocator.
#ifndef SLABKIT_SLAB_PAGE_MAP_H_
#define SLABKIT_SLAB_PAGE_MAP_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace slabkit {
namespace slab {

// Memory is handed to classes in chunks of this size, aligned to it: the unit
// the page map records.
inline constexpr int kChunkShift = 22;
inline constexpr size_t kChunkSize = size_t{1} << kChunkShift;  // 4 MiB

// Addresses at or above 2^kAddressBits are never managed.
inline constexpr int kAddressBits = 48;

// Class ids run from 1 to kMaxClasses - 1; 0 means "no class".
inline constexpr uint32_t kMaxClasses = 4096;

// A new process-wide class id, never handed out before; 0 when all are used.
uint32_t NewClassId();

// The id of the class whose chunk contains `addr`, or 0 when slabkit does not
// manage it. Wait-free; safe on any address, including wild ones.
uint32_t LookupClass(const void* addr);

// Leaf tables (4 KiB, one per 4 GiB region that holds chunks) come from a
// static pool of this many; past it, from mmap. They are never freed, and
// belong to no mapper: a mapper's memory may not live as long as the map.
inline constexpr int kStaticLeaves = 16;

// Records the chunk at `chunk` (kChunkSize-aligned) as owned by `class_id`.
// Any header the chunk carries must be written before this call: a thread
// that sees the id also sees the header. InvalidArgument for a misaligned
// chunk or id 0; ResourceExhausted when a leaf is needed and none can be
// had (nothing is recorded then).
absl::Status RegisterChunk(void* chunk, uint32_t class_id);

// Forgets a chunk recorded by RegisterChunk.
void UnregisterChunk(void* chunk);

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_PAGE_MAP_H_

// PageMap: from any address to the slabkit class that owns it, in two loads,
// without locks or hashing. Process-wide, shared by every allocator.
#ifndef SLABKIT_SLAB_PAGE_MAP_H_
#define SLABKIT_SLAB_PAGE_MAP_H_

#include <atomic>
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

namespace page_map_internal {
// Two levels: the root covers 2^kAddressBits bytes in 4 GiB regions (a 512
// KiB array in BSS, touched only where chunks exist); a leaf holds one class
// id per chunk of its region (4 KiB).
inline constexpr int kRegionShift = 32;
inline constexpr int kRootBits = kAddressBits - kRegionShift;
inline constexpr int kLeafBits = kRegionShift - kChunkShift;
struct Leaf {
  std::atomic<uint32_t> ids[size_t{1} << kLeafBits];
};
extern std::atomic<Leaf*> root[size_t{1} << kRootBits];
}  // namespace page_map_internal

// The id of the class whose chunk contains `addr`, or 0 when slabkit does not
// manage it. Wait-free (two loads); safe on any address, including wild ones.
inline uint32_t LookupClass(const void* addr) {
  using namespace page_map_internal;  // NOLINT: the map's own constants
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  if ((a >> kAddressBits) != 0) return 0;
  const Leaf* leaf = root[a >> kRegionShift].load(std::memory_order_acquire);
  if (leaf == nullptr) return 0;
  return leaf->ids[(a >> kChunkShift) & ((size_t{1} << kLeafBits) - 1)].load(
      std::memory_order_acquire);
}

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

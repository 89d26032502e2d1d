// BlockTable: the records of LargeAllocator's blocks, by chunk, in a hash
// table in mapper memory (never malloc's). A block's window is whole chunks;
// its record lives in the entry of the window's first chunk and its other
// chunks' entries point back to it, so any address in a window finds its
// block in one or two probes.
//
// Not thread-safe: LargeAllocator calls it under its lock.
#ifndef SLABKIT_MALLOC_BLOCK_TABLE_H_
#define SLABKIT_MALLOC_BLOCK_TABLE_H_

#include <cstddef>
#include <cstdint>

#include "mapper/mapper.h"
#include "slab/page_map.h"

namespace slabkit {
namespace malloc {

class BlockTable {
 public:
  // One per chunk of a window.
  struct Entry {
    uintptr_t chunk;  // chunk index (address >> kChunkShift); 0: empty slot
    uintptr_t first;  // the window's first chunk index
    // First entry only:
    char* data;  // the block's start
    size_t committed;
    size_t window_bytes;
    bool freed;  // freed, its window retained (LargeAllocator)
    // Retained since before the last decay pass (LargeAllocator::Decay).
    bool idle_since_pass;
    // What malloc's release checks note (LargeAllocator::SetNote).
    uint8_t family;
    size_t requested;
    // The block's record in LargeAllocator's SampleTable; 0: not sampled.
    uint32_t sample;
  };

  explicit BlockTable(MapperRef mapper) : mapper_(mapper) {}
  BlockTable(const BlockTable&) = delete;
  BlockTable& operator=(const BlockTable&) = delete;

  // Room for `extra` more entries with the table at most half full (it
  // grows by doubling); false when memory cannot be had.
  bool Reserve(size_t extra);
  // Adds `e` (its chunk not present); Reserve made room.
  void Insert(const Entry& e);
  // Removes the entry of `chunk`, if any.
  void Erase(uintptr_t chunk);
  // The entry of `chunk`, or null. Valid until the next Insert or Erase.
  Entry* Find(uintptr_t chunk) const;
  // The first entry of the window holding address `p`, or null.
  Entry* BlockOf(const void* p) const;

  // The table's own memory, for stats.
  size_t bytes() const { return bytes_; }

 private:
  size_t SlotOf(uintptr_t chunk) const;

  const MapperRef mapper_;
  // Open addressing, linear probing; zeroed memory is all empty slots.
  Entry* table_ = nullptr;
  size_t capacity_ = 0;  // a power of two
  size_t used_ = 0;
  size_t bytes_ = 0;
};

// A chunk's index in BlockTable, and back.
inline uintptr_t ChunkIndex(const void* p) {
  return reinterpret_cast<uintptr_t>(p) >> slab::kChunkShift;
}
inline char* ChunkAddress(uintptr_t chunk) {
  return reinterpret_cast<char*>(chunk << slab::kChunkShift);
}

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_BLOCK_TABLE_H_

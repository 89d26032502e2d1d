// ZeroSizeBlocks: what malloc(0) returns (both flavours): a unique address
// in memory that is never accessible, so that any read or write of the
// block faults (reported as "access to a zero-size block"), and freeing it
// twice, or freeing an address it did not hand out, is caught.
//
// Blocks are 16 bytes of address space in chunks reserved for them (page-map
// entry kZeroSizeChunk, never committed), one bit each in a bitmap in mapper
// memory. An address is handed out again only once it is freed.
//
// Thread-safe (one lock: malloc(0) is rare). Never calls malloc.
#ifndef SLABKIT_MALLOC_ZERO_SIZE_H_
#define SLABKIT_MALLOC_ZERO_SIZE_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "mapper/mapper.h"
#include "slab/page_map.h"

namespace slabkit {
namespace malloc {

class ZeroSizeBlocks {
 public:
  // Each block's address space, which is also its alignment.
  static constexpr size_t kBlockBytes = 16;
  // Chunks of blocks at most: 8 x 4 MiB, 2 M blocks live at once.
  static constexpr int kMaxChunks = 8;
  static constexpr size_t kBlocksPerChunk = slab::kChunkSize / kBlockBytes;

  // `mapper` must outlive the blocks.
  explicit ZeroSizeBlocks(MapperRef mapper) : mapper_(mapper) {}
  ZeroSizeBlocks(const ZeroSizeBlocks&) = delete;
  ZeroSizeBlocks& operator=(const ZeroSizeBlocks&) = delete;

  // A new block aligned to `alignment` (a power of two, 16 when smaller, at
  // most the page size), or nullptr with errno ENOMEM.
  void* Allocate(size_t alignment = kBlockBytes);

  enum class FreeResult { kOk, kNotHeld, kNotABlock };
  // Frees the block at `p` (an address in a zero-size chunk); nothing
  // changes unless kOk. kNotHeld: not handed out now (a double free);
  // kNotABlock: not a block's address.
  FreeResult Free(const void* p);
  // Whether `p` is a block handed out now.
  bool Held(const void* p) const;

  uint64_t live() const;

  void LockForFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  struct Chunk {
    char* base;
    uint64_t* held;  // one bit per block
  };
  // The chunk and block index of `p`, or false.
  bool Index(const void* p, int* chunk, size_t* block) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool AddChunkLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const MapperRef mapper_;
  mutable std::mutex mu_;
  Chunk chunks_[kMaxChunks] ABSL_GUARDED_BY(mu_) = {};
  int num_chunks_ ABSL_GUARDED_BY(mu_) = 0;
  size_t cursor_ ABSL_GUARDED_BY(mu_) = 0;  // next block index to try
  uint64_t live_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_ZERO_SIZE_H_

// MetadataArena: slabkit's own small, permanent allocations (class records),
// bump-allocated from mapper memory. Never malloc.
#ifndef SLABKIT_SLAB_METADATA_ARENA_H_
#define SLABKIT_SLAB_METADATA_ARENA_H_

#include <cstddef>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace slab {

// Thread-safe. Memory is zeroed and never freed: what is allocated here lives
// as long as the process (class records do).
class MetadataArena {
 public:
  // Memory is obtained from the mapper in blocks of this size (or larger for
  // a larger request).
  static constexpr size_t kBlockBytes = size_t{64} << 10;

  explicit MetadataArena(MapperRef mapper) : mapper_(mapper) {}

  // `size` bytes aligned to `alignment` (a power of two, at most the page
  // size), or nullptr when the mapper fails.
  void* Allocate(size_t size, size_t alignment);

  // Bytes obtained from the mapper so far.
  size_t mapped_bytes() const;

  // Fork safety (pthread_atfork): takes the lock, so that no other thread
  // holds it while the process forks; the parent and the child release it.
  void LockForFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  const MapperRef mapper_;
  mutable std::mutex mu_;
  char* next_ ABSL_GUARDED_BY(mu_) = nullptr;
  char* end_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t mapped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_METADATA_ARENA_H_

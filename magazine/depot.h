// Depot: one class's store of full and empty magazines, shared by its
// threads (Bonwick's depot layer). Full magazines beyond the limit go back to
// the slab.
#ifndef SLABKIT_MAGAZINE_DEPOT_H_
#define SLABKIT_MAGAZINE_DEPOT_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "magazine/magazine.h"
#include "policy/cache.h"
#include "slab/metadata_arena.h"

namespace slabkit {
namespace magazine {

// Tunables, per class. 0 picks the default.
struct DepotOptions {
  // Objects per magazine: default 16 KiB worth, between 4 and 128.
  uint32_t magazine_capacity = 0;
  // Full magazines the depot keeps before it returns objects to the slab:
  // default 16.
  uint32_t max_full = 0;
};

// Resolves defaults for objects of `object_size` bytes.
DepotOptions ResolveDepotOptions(DepotOptions options, size_t object_size);

// Thread-safe (a mutex, held only for list operations: the slab is never
// called with it held).
class Depot {
 public:
  struct Stats {
    uint64_t full_magazines = 0;
    uint64_t empty_magazines = 0;
    uint64_t magazines_made = 0;
    uint64_t cached_objects = 0;   // in full magazines held here
    uint64_t exchanges = 0;        // magazines taken from or given to the depot
    uint64_t spilled_objects = 0;  // returned to the slab
  };

  // `arena` supplies magazine memory; both it and the callbacks' context
  // must outlive the depot.
  Depot(DepotOptions options, slab::MetadataArena* arena, SlabCallbacks slab);
  Depot(const Depot&) = delete;
  Depot& operator=(const Depot&) = delete;

  uint32_t capacity() const { return options_.magazine_capacity; }
  const SlabCallbacks& slab() const { return slab_; }

  // A full magazine, or nullptr when the depot has none.
  Magazine* TakeFull();
  // An empty magazine, made when the depot has none; nullptr only when
  // metadata memory cannot be had.
  Magazine* TakeEmpty();
  // Takes a magazine with objects. Over the full limit, its objects go back
  // to the slab and the depot keeps it as empty.
  void PutFull(Magazine* m);
  void PutEmpty(Magazine* m);
  // Returns the objects of every full magazine to the slab.
  void Drain();
  // One decay pass: returns to the slab as many full magazines as the depot
  // held throughout the time since the previous pass (the low-water mark of
  // its full magazines: the ones no thread needed), so a class keeps what
  // its threads exchange and gives back what sat idle.
  void Decay();

  Stats stats() const;

  // Fork safety (pthread_atfork): takes the lock, so that no other thread
  // holds it while the process forks; the parent and the child release it.
  void LockForFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() const ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  // Unlinks up to `n` full magazines and returns them as a list.
  Magazine* TakeFullLocked(uint64_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the objects of each magazine of `list` to the slab and keeps
  // the magazines as empty. Takes the lock itself.
  void SpillAll(Magazine* list) ABSL_LOCKS_EXCLUDED(mu_);
  void Spill(Magazine* m);

  const DepotOptions options_;
  slab::MetadataArena* const arena_;
  const SlabCallbacks slab_;
  mutable std::mutex mu_;
  Magazine* full_ ABSL_GUARDED_BY(mu_) = nullptr;
  Magazine* empty_ ABSL_GUARDED_BY(mu_) = nullptr;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // The fewest full magazines held since the last Decay.
  uint64_t min_full_since_decay_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_DEPOT_H_

// Depot: one class's store of full and empty magazines, shared by its
// threads (Bonwick's depot layer). Full magazines beyond the limit go back to
// the slab.
#ifndef SLABKIT_MAGAZINE_DEPOT_H_
#define SLABKIT_MAGAZINE_DEPOT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

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

// Lock-free: the full and the empty magazines are two Treiber stacks
// (MagazineStack), so a thread exchanging magazines never waits for another
// that holds a lock and was preempted (the slab behind the depot keeps its
// own lock, which only refills and spills take). Counts and stats are
// relaxed atomics: each exact at rest, and off by the exchanges in flight
// while threads exchange.
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

 private:
  // Takes up to `n` full magazines and spills them, keeping the magazines
  // as empty.
  void SpillFull(uint64_t n);
  void Spill(Magazine* m);

  const DepotOptions options_;
  slab::MetadataArena* const arena_;
  const SlabCallbacks slab_;
  MagazineStack full_;
  MagazineStack empty_;
  // Full magazines pushed or being pushed: PutFull counts before it pushes
  // and TakeFull after it pops, so this is never below what full_ holds.
  std::atomic<uint64_t> full_count_{0};
  // The fewest full magazines held since the last Decay.
  std::atomic<uint64_t> min_full_since_decay_{0};
  std::atomic<uint64_t> empty_count_{0};
  std::atomic<uint64_t> cached_objects_{0};
  std::atomic<uint64_t> magazines_made_{0};
  std::atomic<uint64_t> exchanges_{0};
  std::atomic<uint64_t> spilled_objects_{0};
};

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_DEPOT_H_

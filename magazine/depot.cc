#include "magazine/depot.h"

#include <algorithm>

namespace slabkit {
namespace magazine {

DepotOptions ResolveDepotOptions(DepotOptions options, size_t object_size) {
  if (options.magazine_capacity == 0) {
    const size_t by_bytes =
        (size_t{16} << 10) / std::max<size_t>(object_size, 1);
    options.magazine_capacity =
        static_cast<uint32_t>(std::clamp<size_t>(by_bytes, 4, 128));
  }
  if (options.max_full == 0) options.max_full = 16;
  return options;
}

Depot::Depot(DepotOptions options, slab::MetadataArena* arena,
             SlabCallbacks slab)
    : options_(options), arena_(arena), slab_(slab) {}

Magazine* Depot::TakeFull() {
  Magazine* m = full_.Pop();
  if (m == nullptr) return nullptr;
  const uint64_t left = full_count_.fetch_sub(1, std::memory_order_relaxed) - 1;
  cached_objects_.fetch_sub(m->count, std::memory_order_relaxed);
  exchanges_.fetch_add(1, std::memory_order_relaxed);
  // A racing update may be lost: the mark is a decay hint.
  if (left < min_full_since_decay_.load(std::memory_order_relaxed)) {
    min_full_since_decay_.store(left, std::memory_order_relaxed);
  }
  return m;
}

Magazine* Depot::TakeEmpty() {
  if (Magazine* m = empty_.Pop()) {
    empty_count_.fetch_sub(1, std::memory_order_relaxed);
    exchanges_.fetch_add(1, std::memory_order_relaxed);
    return m;
  }
  void* memory = arena_->Allocate(Magazine::Bytes(options_.magazine_capacity),
                                  kMagazineAlignment);
  if (memory == nullptr) return nullptr;
  auto* m = static_cast<Magazine*>(memory);  // zeroed: next, count, sentinel
  // A mapper's address beyond what a stack's head holds: the magazine is
  // left unused (the arena keeps it), and the class goes uncached.
  if (!MagazineStack::Fits(m)) return nullptr;
  m->capacity = options_.magazine_capacity;
  magazines_made_.fetch_add(1, std::memory_order_relaxed);
  exchanges_.fetch_add(1, std::memory_order_relaxed);
  return m;
}

void Depot::PutFull(Magazine* m) {
  exchanges_.fetch_add(1, std::memory_order_relaxed);
  if (full_count_.fetch_add(1, std::memory_order_relaxed) < options_.max_full) {
    cached_objects_.fetch_add(m->count, std::memory_order_relaxed);
    full_.Push(m);
    return;
  }
  full_count_.fetch_sub(1, std::memory_order_relaxed);
  Spill(m);
  PutEmpty(m);
}

void Depot::PutEmpty(Magazine* m) {
  m->count = 0;
  empty_count_.fetch_add(1, std::memory_order_relaxed);
  empty_.Push(m);
}

void Depot::Drain() {
  min_full_since_decay_.store(0, std::memory_order_relaxed);
  SpillFull(~uint64_t{0});
}

void Depot::Decay() {
  SpillFull(min_full_since_decay_.load(std::memory_order_relaxed));
  min_full_since_decay_.store(full_count_.load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
}

void Depot::SpillFull(uint64_t n) {
  for (; n > 0; --n) {
    Magazine* m = full_.Pop();
    if (m == nullptr) return;
    full_count_.fetch_sub(1, std::memory_order_relaxed);
    cached_objects_.fetch_sub(m->count, std::memory_order_relaxed);
    Spill(m);
    PutEmpty(m);
  }
}

void Depot::Spill(Magazine* m) {
  slab_.spill(slab_.context, m->slots(), m->count);
  spilled_objects_.fetch_add(m->count, std::memory_order_relaxed);
  m->count = 0;
}

Depot::Stats Depot::stats() const {
  Stats s;
  s.full_magazines = full_count_.load(std::memory_order_relaxed);
  s.empty_magazines = empty_count_.load(std::memory_order_relaxed);
  s.magazines_made = magazines_made_.load(std::memory_order_relaxed);
  s.cached_objects = cached_objects_.load(std::memory_order_relaxed);
  s.exchanges = exchanges_.load(std::memory_order_relaxed);
  s.spilled_objects = spilled_objects_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace magazine
}  // namespace slabkit

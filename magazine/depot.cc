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
  std::lock_guard<std::mutex> lock(mu_);
  Magazine* m = full_;
  if (m == nullptr) return nullptr;
  full_ = m->next;
  m->next = nullptr;
  stats_.full_magazines--;
  stats_.cached_objects -= m->count;
  stats_.exchanges++;
  min_full_since_decay_ =
      std::min(min_full_since_decay_, stats_.full_magazines);
  return m;
}

Magazine* Depot::TakeEmpty() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Magazine* m = empty_) {
      empty_ = m->next;
      m->next = nullptr;
      stats_.empty_magazines--;
      stats_.exchanges++;
      return m;
    }
  }
  void* memory = arena_->Allocate(Magazine::Bytes(options_.magazine_capacity),
                                  alignof(Magazine));
  if (memory == nullptr) return nullptr;
  auto* m = static_cast<Magazine*>(memory);  // zeroed: next, count, sentinel
  m->capacity = options_.magazine_capacity;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.magazines_made++;
  stats_.exchanges++;
  return m;
}

void Depot::PutFull(Magazine* m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.exchanges++;
    if (stats_.full_magazines < options_.max_full) {
      m->next = full_;
      full_ = m;
      stats_.full_magazines++;
      stats_.cached_objects += m->count;
      return;
    }
  }
  Spill(m);
  PutEmpty(m);
}

void Depot::PutEmpty(Magazine* m) {
  std::lock_guard<std::mutex> lock(mu_);
  m->count = 0;
  m->next = empty_;
  empty_ = m;
  stats_.empty_magazines++;
}

void Depot::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  Magazine* full = TakeFullLocked(stats_.full_magazines);
  min_full_since_decay_ = 0;
  lock.unlock();
  SpillAll(full);
}

void Depot::Decay() {
  std::unique_lock<std::mutex> lock(mu_);
  Magazine* idle = TakeFullLocked(min_full_since_decay_);
  min_full_since_decay_ = stats_.full_magazines;
  lock.unlock();
  SpillAll(idle);
}

Magazine* Depot::TakeFullLocked(uint64_t n) {
  Magazine* taken = nullptr;
  for (; n > 0 && full_ != nullptr; --n) {
    Magazine* m = full_;
    full_ = m->next;
    m->next = taken;
    taken = m;
    stats_.full_magazines--;
    stats_.cached_objects -= m->count;
  }
  return taken;
}

void Depot::SpillAll(Magazine* list) {
  while (list != nullptr) {
    Magazine* next = list->next;
    Spill(list);
    PutEmpty(list);
    list = next;
  }
}

void Depot::Spill(Magazine* m) {
  slab_.spill(slab_.context, m->slots(), m->count);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.spilled_objects += m->count;
  m->count = 0;
}

Depot::Stats Depot::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace magazine
}  // namespace slabkit

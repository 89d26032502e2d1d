#include "malloc/large.h"

#include <cerrno>
#include <cstring>

#include "absl/numeric/bits.h"
#include "slab/counter.h"
#include "slab/page_map.h"

namespace slabkit {
namespace dropin {

namespace {

constexpr size_t kInitialCapacity = 1024;

uintptr_t ChunkIndex(const void* p) {
  return reinterpret_cast<uintptr_t>(p) >> slab::kChunkShift;
}

char* ChunkAddress(uintptr_t chunk) {
  return reinterpret_cast<char*>(chunk << slab::kChunkShift);
}

}  // namespace

LargeAllocator::LargeAllocator(MapperRef mapper, size_t cache_bytes,
                               bool quarantine)
    : mapper_(mapper),
      page_(mapper.page_size()),
      cache_bytes_(cache_bytes),
      quarantine_(quarantine && cache_bytes == 0) {}

size_t LargeAllocator::SlotOf(uintptr_t chunk) const {
  const int bits = absl::countr_zero(capacity_);
  return static_cast<size_t>((chunk * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

LargeAllocator::Entry* LargeAllocator::FindEntryLocked(uintptr_t chunk) const {
  if (capacity_ == 0) return nullptr;
  for (size_t i = SlotOf(chunk);; i = (i + 1) & (capacity_ - 1)) {
    if (table_[i].chunk == chunk) return &table_[i];
    if (table_[i].chunk == 0) return nullptr;
  }
}

bool LargeAllocator::ReserveLocked(size_t extra) {
  if ((used_ + extra) * 2 <= capacity_) return true;
  size_t capacity = capacity_ == 0 ? kInitialCapacity : capacity_;
  while ((used_ + extra) * 2 > capacity) capacity *= 2;
  const size_t bytes = RoundUp(capacity * sizeof(Entry), page_);
  absl::StatusOr<void*> memory = mapper_.Reserve(bytes, page_);
  if (!memory.ok()) return false;
  if (!mapper_.Commit(*memory, bytes).ok()) {
    (void)mapper_.Release(*memory, bytes);
    return false;
  }
  Entry* old = table_;
  const size_t old_capacity = capacity_;
  table_ = static_cast<Entry*>(*memory);  // zeroed: every slot empty
  capacity_ = capacity;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i].chunk == 0) continue;
    size_t j = SlotOf(old[i].chunk);
    while (table_[j].chunk != 0) j = (j + 1) & (capacity_ - 1);
    table_[j] = old[i];
  }
  if (old != nullptr) {
    (void)mapper_.Release(old, RoundUp(old_capacity * sizeof(Entry), page_));
  }
  CounterSet(stats_.metadata_bytes, bytes);
  return true;
}

bool LargeAllocator::InsertLocked(const Entry& e) {
  size_t i = SlotOf(e.chunk);
  while (table_[i].chunk != 0) i = (i + 1) & (capacity_ - 1);
  table_[i] = e;
  ++used_;
  return true;
}

void LargeAllocator::EraseLocked(uintptr_t chunk) {
  Entry* e = FindEntryLocked(chunk);
  if (e == nullptr) return;
  // Backward-shift deletion: later entries of the probe run move up, so no
  // tombstones are left.
  const size_t mask = capacity_ - 1;
  size_t hole = static_cast<size_t>(e - table_);
  for (size_t j = (hole + 1) & mask; table_[j].chunk != 0; j = (j + 1) & mask) {
    const size_t home = SlotOf(table_[j].chunk);
    // Entry j may fill the hole when its home is not in (hole, j].
    const bool between =
        hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!between) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  memset(&table_[hole], 0, sizeof(Entry));
  --used_;
}

LargeAllocator::Entry* LargeAllocator::BlockOfLocked(const void* p) const {
  const uintptr_t chunk = ChunkIndex(p);
  Entry* e = FindEntryLocked(chunk);
  if (e == nullptr || e->first == chunk) return e;
  return FindEntryLocked(e->first);
}

void LargeAllocator::ForgetLocked(uintptr_t first, size_t window) {
  for (uintptr_t c = first; c < first + (window >> slab::kChunkShift); ++c) {
    slab::UnregisterChunk(ChunkAddress(c));
    EraseLocked(c);
  }
}

void LargeAllocator::UncacheLocked(int i) {
  for (int j = i + 1; j < cached_; ++j) cache_[j - 1] = cache_[j];
  --cached_;
}

char* LargeAllocator::ReuseLocked(size_t window, size_t alignment, size_t data,
                                  bool zero) {
  // Among windows of this size with the same leading guard (the usual case:
  // page alignment), the best fit: the least committed that holds `data`,
  // else the most committed.
  int best = -1;
  Entry* e = nullptr;
  for (int i = 0; i < cached_; ++i) {
    Entry* c = FindEntryLocked(cache_[i]);
    char* start = ChunkAddress(c->first) + alignment;
    if (c->window_bytes != window || c->data != start ||
        (reinterpret_cast<uintptr_t>(start) & (alignment - 1)) != 0) {
      continue;
    }
    const bool fits = c->committed >= data;
    if (e == nullptr ||
        (fits && (e->committed < data || c->committed < e->committed)) ||
        (!fits && e->committed < data && c->committed > e->committed)) {
      best = i;
      e = c;
    }
  }
  if (e == nullptr) return nullptr;
  char* start = e->data;
  const size_t old = e->committed;
  size_t committed = old;
  if (data > old) {
    if (!mapper_.Commit(start + old, data - old).ok()) return nullptr;
    committed = data;
  } else if (old - data > data) {
    // More than twice what is asked: give the tail back (it becomes guard).
    // Less is kept, as usable size, so that blocks that vary in size reuse
    // pages rather than fault them in again.
    if (mapper_.Decommit(start + data, old - data).ok()) {
      (void)mapper_.Protect(start + data, old - data);
      committed = data;
    }
  }
  // Pages kept from the last block hold its data; newly committed are 0.
  if (zero) memset(start, 0, old < data ? old : data);
  e->cached = false;
  e->committed = committed;
  UncacheLocked(best);
  CounterSub(stats_.cached_blocks, 1);
  CounterSub(stats_.cached_bytes, old);
  CounterSub(stats_.cached_reserved_bytes, window);
  CounterAdd(stats_.allocations, 1);
  CounterAdd(stats_.cache_hits, 1);
  CounterAdd(stats_.live, 1);
  CounterAdd(stats_.committed_bytes, committed);
  CounterAdd(stats_.reserved_bytes, window);
  return start;
}

void* LargeAllocator::Allocate(size_t size, size_t alignment, bool zero) {
  if (size == 0) size = 1;
  if (alignment < page_) alignment = page_;
  // The leading guard is the alignment's worth, so the data is aligned; the
  // trailing guard is at least a page. Every sum is checked: sizes come from
  // the program.
  const size_t max = ~size_t{0} / 4;
  if (size > max || alignment > max) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t data = RoundUp(size, page_);
  const size_t window = RoundUp(alignment + data + page_, slab::kChunkSize);
  const size_t window_alignment =
      alignment > slab::kChunkSize ? alignment : slab::kChunkSize;
  if (cache_bytes_ != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    if (char* start = ReuseLocked(window, alignment, data, zero)) return start;
  }
  absl::StatusOr<void*> reserved = mapper_.Reserve(window, window_alignment);
  if (!reserved.ok() && CounterLoad(stats_.cached_reserved_bytes) != 0) {
    // Out of address space: give up the cached or quarantined windows
    // before failing.
    ReleaseCached();
    reserved = mapper_.Reserve(window, window_alignment);
  }
  if (!reserved.ok()) {
    errno = ENOMEM;
    return nullptr;
  }
  char* base = static_cast<char*>(*reserved);
  char* start = base + alignment;
  if ((reinterpret_cast<uintptr_t>(base) >> slab::kAddressBits) != 0 ||
      !mapper_.Commit(start, data).ok()) {
    (void)mapper_.Release(base, window);
    errno = ENOMEM;
    return nullptr;
  }
  const size_t chunks = window >> slab::kChunkShift;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ReserveLocked(chunks)) {
      const uintptr_t first = ChunkIndex(base);
      for (size_t i = 0; i < chunks; ++i) {
        Entry e{first + i, first, nullptr, 0, 0, false};
        if (i == 0) {
          e.data = start;
          e.committed = data;
          e.window_bytes = window;
        }
        InsertLocked(e);
        (void)slab::RegisterLargeChunk(ChunkAddress(first + i));
      }
      CounterAdd(stats_.allocations, 1);
      CounterAdd(stats_.live, 1);
      CounterAdd(stats_.committed_bytes, data);
      CounterAdd(stats_.reserved_bytes, window);
      return start;
    }
  }
  (void)mapper_.Release(base, window);
  errno = ENOMEM;
  return nullptr;
}

LargeAllocator::FindResult LargeAllocator::Find(const void* p,
                                                size_t* usable) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Entry* block = BlockOfLocked(p);
  if (block == nullptr) return FindResult::kNone;
  if (block->data != p) return FindResult::kInterior;
  if (block->cached) return FindResult::kFreed;
  if (usable != nullptr) *usable = block->committed;
  return FindResult::kBlock;
}

LargeAllocator::FindResult LargeAllocator::Free(void* p) {
  // Windows to unmap once the lock is dropped: this block's, or the cached
  // ones it evicts.
  struct Victim {
    char* base;
    size_t window;
  } victims[kCacheSlots + 1];
  int n = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry* block = BlockOfLocked(p);
    if (block == nullptr) return FindResult::kNone;
    if (block->data != p) return FindResult::kInterior;
    if (block->cached) return FindResult::kFreed;
    const uintptr_t first = block->first;
    const size_t window = block->window_bytes;
    const size_t committed = block->committed;
    CounterAdd(stats_.releases, 1);
    CounterSub(stats_.live, 1);
    CounterSub(stats_.committed_bytes, committed);
    CounterSub(stats_.reserved_bytes, window);
    size_t kept = committed;  // what the freed window keeps committed
    if (quarantine_) {
      // If the pages cannot be given back they stay, inaccessible.
      if (mapper_.Decommit(block->data, committed).ok()) kept = 0;
      (void)mapper_.Protect(block->data, committed);
      block->committed = kept;
    }
    if (!quarantine_ && committed > cache_bytes_) {
      ForgetLocked(first, window);
      victims[n++] = {ChunkAddress(first), window};
    } else {
      if (cached_ == kCacheSlots) {
        EvictOldestLocked(&victims[n].base, &victims[n].window);
        ++n;
        block = FindEntryLocked(first);  // erasing moved entries
      }
      block->cached = true;
      cache_[cached_++] = first;
      CounterAdd(stats_.cached_blocks, 1);
      CounterAdd(stats_.cached_bytes, kept);
      CounterAdd(stats_.cached_reserved_bytes, window);
      while (!quarantine_ && stats_.cached_bytes > cache_bytes_) {
        EvictOldestLocked(&victims[n].base, &victims[n].window);
        ++n;
      }
    }
  }
  for (int i = 0; i < n; ++i)
    (void)mapper_.Release(victims[i].base, victims[i].window);
  return FindResult::kBlock;
}

void LargeAllocator::EvictOldestLocked(char** base, size_t* window) {
  Entry* e = FindEntryLocked(cache_[0]);
  const uintptr_t first = e->first;
  *base = ChunkAddress(first);
  *window = e->window_bytes;
  CounterSub(stats_.cached_blocks, 1);
  CounterSub(stats_.cached_bytes, e->committed);
  CounterSub(stats_.cached_reserved_bytes, e->window_bytes);
  UncacheLocked(0);
  ForgetLocked(first, *window);
}

size_t LargeAllocator::ReleaseCached() {
  size_t released = 0;
  for (;;) {
    char* base;
    size_t window;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ == 0) return released;
      released += FindEntryLocked(cache_[0])->committed;
      EvictOldestLocked(&base, &window);
    }
    (void)mapper_.Release(base, window);
  }
}

bool LargeAllocator::Resize(void* p, size_t size) {
  if (size == 0) size = 1;
  if (size > ~size_t{0} / 4) return false;
  const size_t data = RoundUp(size, page_);
  std::lock_guard<std::mutex> lock(mu_);
  Entry* block = BlockOfLocked(p);
  if (block == nullptr || block->data != p || block->cached) return false;
  const size_t committed = block->committed;
  if (data < committed) {
    // The pages past the new end become guard: given back, inaccessible.
    if (!mapper_.Decommit(block->data + data, committed - data).ok()) {
      return false;
    }
    (void)mapper_.Protect(block->data + data, committed - data);
  } else if (data > committed) {
    char* window_end = ChunkAddress(block->first) + block->window_bytes;
    if (data > static_cast<size_t>(window_end - block->data) - page_ ||
        !mapper_.Commit(block->data + committed, data - committed).ok()) {
      return false;
    }
  }
  block->committed = data;
  CounterSub(stats_.committed_bytes, committed);
  CounterAdd(stats_.committed_bytes, data);
  return true;
}

LargeAllocator::Stats LargeAllocator::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

LargeAllocator::Stats LargeAllocator::ReadStats() const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  return CounterSnapshot(stats_);
}

}  // namespace dropin
}  // namespace slabkit

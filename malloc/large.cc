#include "malloc/large.h"

#include <cerrno>
#include <cstring>

#include "absl/numeric/bits.h"
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

LargeAllocator::LargeAllocator(MapperRef mapper)
    : mapper_(mapper), page_(mapper.page_size()) {}

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
  stats_.metadata_bytes = bytes;
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

void* LargeAllocator::Allocate(size_t size, size_t alignment) {
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
  absl::StatusOr<void*> reserved = mapper_.Reserve(window, window_alignment);
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
        Entry e{first + i, first, nullptr, 0, 0};
        if (i == 0) {
          e.data = start;
          e.committed = data;
          e.window_bytes = window;
        }
        InsertLocked(e);
        (void)slab::RegisterLargeChunk(ChunkAddress(first + i));
      }
      stats_.allocations++;
      stats_.live++;
      stats_.committed_bytes += data;
      stats_.reserved_bytes += window;
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
  if (usable != nullptr) *usable = block->committed;
  return FindResult::kBlock;
}

LargeAllocator::FindResult LargeAllocator::Free(void* p) {
  char* base;
  size_t window;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry* block = BlockOfLocked(p);
    if (block == nullptr) return FindResult::kNone;
    if (block->data != p) return FindResult::kInterior;
    const uintptr_t first = block->first;
    base = ChunkAddress(first);
    window = block->window_bytes;
    stats_.releases++;
    stats_.live--;
    stats_.committed_bytes -= block->committed;
    stats_.reserved_bytes -= window;
    for (uintptr_t c = first; c < first + (window >> slab::kChunkShift); ++c) {
      slab::UnregisterChunk(ChunkAddress(c));
      EraseLocked(c);
    }
  }
  (void)mapper_.Release(base, window);
  return FindResult::kBlock;
}

bool LargeAllocator::Resize(void* p, size_t size) {
  if (size == 0) size = 1;
  if (size > ~size_t{0} / 4) return false;
  const size_t data = RoundUp(size, page_);
  std::lock_guard<std::mutex> lock(mu_);
  Entry* block = BlockOfLocked(p);
  if (block == nullptr || block->data != p) return false;
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
  stats_.committed_bytes = stats_.committed_bytes - committed + data;
  return true;
}

LargeAllocator::Stats LargeAllocator::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace dropin
}  // namespace slabkit

#include "malloc/block_table.h"

#include <cstring>

#include "absl/numeric/bits.h"
#include "absl/status/statusor.h"
#include "slab/page_map.h"

namespace slabkit {
namespace malloc {

namespace {
constexpr size_t kInitialCapacity = 1024;
}  // namespace

size_t BlockTable::SlotOf(uintptr_t chunk) const {
  const int bits = absl::countr_zero(capacity_);
  return static_cast<size_t>((chunk * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

BlockTable::Entry* BlockTable::Find(uintptr_t chunk) const {
  if (capacity_ == 0) return nullptr;
  for (size_t i = SlotOf(chunk);; i = (i + 1) & (capacity_ - 1)) {
    if (table_[i].chunk == chunk) return &table_[i];
    if (table_[i].chunk == 0) return nullptr;
  }
}

BlockTable::Entry* BlockTable::BlockOf(const void* p) const {
  const uintptr_t chunk = ChunkIndex(p);
  Entry* e = Find(chunk);
  if (e == nullptr || e->first == chunk) return e;
  return Find(e->first);
}

bool BlockTable::Reserve(size_t extra) {
  if ((used_ + extra) * 2 <= capacity_) return true;
  size_t capacity = capacity_ == 0 ? kInitialCapacity : capacity_;
  while ((used_ + extra) * 2 > capacity) capacity *= 2;
  const size_t page = mapper_.page_size();
  const size_t bytes = RoundUp(capacity * sizeof(Entry), page);
  absl::StatusOr<void*> memory = mapper_.Reserve(bytes, page);
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
  if (old != nullptr) (void)mapper_.Release(old, bytes_);
  bytes_ = bytes;
  return true;
}

void BlockTable::Insert(const Entry& e) {
  size_t i = SlotOf(e.chunk);
  while (table_[i].chunk != 0) i = (i + 1) & (capacity_ - 1);
  table_[i] = e;
  ++used_;
}

void BlockTable::Erase(uintptr_t chunk) {
  Entry* e = Find(chunk);
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

}  // namespace malloc
}  // namespace slabkit

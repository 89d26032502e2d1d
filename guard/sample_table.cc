#include "guard/sample_table.h"

namespace slabkit {
namespace guard {
namespace {

size_t StorageBytes(size_t size, size_t page) {
  return (size + page - 1) / page * page;
}

}  // namespace

SampleTable::Storage* SampleTable::GetStorage() {
  Storage* s = storage_.load(std::memory_order_relaxed);
  if (s != nullptr) return s;
  const size_t bytes = StorageBytes(sizeof(Storage), mapper_.page_size());
  absl::StatusOr<void*> memory = mapper_.Reserve(bytes, mapper_.page_size());
  if (!memory.ok()) return nullptr;
  if (!mapper_.Commit(*memory, bytes).ok()) {
    (void)mapper_.Release(*memory, bytes);
    return nullptr;
  }
  // Committed memory reads as zeros: every site and record is empty, none
  // used.
  s = static_cast<Storage*>(*memory);
  storage_.store(s, std::memory_order_release);
  return s;
}

uint32_t SampleTable::Add(size_t size, uint64_t weighted_bytes,
                          void* const* stack, int depth) {
  Storage* s = GetStorage();
  if (s == nullptr) return 0;
  const uint8_t site = s->sites.Count(stack, depth, size);
  uint32_t index;
  if (s->free_count > 0) {
    index = s->free[--s->free_count];
  } else {
    index = s->used.load(std::memory_order_relaxed);
    if (index == kCapacity) return 0;
    // Readers see the record once `used` covers it; it is not live yet.
    s->used.store(index + 1, std::memory_order_release);
  }
  Record& r = s->records[index];
  r.site = site;
  r.size = size;
  r.weighted_bytes = weighted_bytes;
  r.live.store(true, std::memory_order_release);
  return index + 1;
}

uint64_t SampleTable::Remove(uint32_t handle) {
  Storage* s = storage_.load(std::memory_order_relaxed);
  Record& r = s->records[handle - 1];
  r.live.store(false, std::memory_order_relaxed);
  s->free[s->free_count++] = static_cast<uint16_t>(handle - 1);
  return r.weighted_bytes;
}

void SampleTable::Reset() {
  if (Storage* s = storage_.load(std::memory_order_relaxed)) s->sites.Reset();
}

size_t SampleTable::bytes() const {
  return storage_.load(std::memory_order_relaxed) == nullptr
             ? 0
             : StorageBytes(sizeof(Storage), mapper_.page_size());
}

}  // namespace guard
}  // namespace slabkit

#include "slab/page_map.h"

#include <atomic>

#include "absl/base/attributes.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace slab {

namespace page_map_internal {
ABSL_CONST_INIT uint16_t class_of[kEntries];
}  // namespace page_map_internal

namespace {
ABSL_CONST_INIT std::atomic<uint32_t> next_class_id{1};
}  // namespace

uint32_t NewClassId() {
  uint32_t id = next_class_id.load(std::memory_order_relaxed);
  do {
    if (id >= kMaxClasses) return 0;
  } while (!next_class_id.compare_exchange_weak(id, id + 1,
                                                std::memory_order_relaxed));
  return id;
}

absl::Status RegisterChunk(void* chunk, uint32_t class_id, bool guarded) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(chunk);
  if ((a >> kAddressBits) != 0 || a % kChunkSize != 0 || class_id == 0 ||
      class_id >= kMaxClasses) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  __atomic_store_n(
      &page_map_internal::class_of[a >> kChunkShift],
      static_cast<uint16_t>(class_id | (guarded ? kGuardedChunk : 0)),
      __ATOMIC_RELEASE);
  return absl::OkStatus();
}

absl::Status RegisterSpecialChunk(void* chunk, uint32_t entry) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(chunk);
  if ((a >> kAddressBits) != 0 || a % kChunkSize != 0 ||
      (entry != kLargeChunk && entry != kZeroSizeChunk)) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  __atomic_store_n(&page_map_internal::class_of[a >> kChunkShift],
                   static_cast<uint16_t>(entry), __ATOMIC_RELEASE);
  return absl::OkStatus();
}

absl::Status RegisterLargeChunk(void* chunk) {
  return RegisterSpecialChunk(chunk, kLargeChunk);
}

void UnregisterChunk(void* chunk) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(chunk);
  if ((a >> kAddressBits) != 0) return;
  __atomic_store_n(&page_map_internal::class_of[a >> kChunkShift], 0,
                   __ATOMIC_RELEASE);
}

}  // namespace slab
}  // namespace slabkit

#include "slab/page_map.h"

#include <atomic>

#include "absl/base/attributes.h"

namespace slabkit {
namespace slab {
namespace {

// Two levels: the root covers 2^kAddressBits bytes in 4 GiB regions (a 512
// KiB array in BSS, touched only where chunks exist); a leaf holds one class
// id per chunk of its region (4 KiB).
constexpr int kRegionShift = 32;
constexpr int kRootBits = kAddressBits - kRegionShift;
constexpr int kLeafBits = kRegionShift - kChunkShift;

struct Leaf {
  std::atomic<uint32_t> ids[size_t{1} << kLeafBits];
};

ABSL_CONST_INIT std::atomic<Leaf*> root[size_t{1} << kRootBits];
ABSL_CONST_INIT std::atomic<uint32_t> next_class_id{1};

size_t RootIndex(uintptr_t a) { return a >> kRegionShift; }
size_t LeafIndex(uintptr_t a) {
  return (a >> kChunkShift) & ((size_t{1} << kLeafBits) - 1);
}

}  // namespace

uint32_t NewClassId() {
  uint32_t id = next_class_id.load(std::memory_order_relaxed);
  do {
    if (id >= kMaxClasses) return 0;
  } while (!next_class_id.compare_exchange_weak(id, id + 1,
                                                std::memory_order_relaxed));
  return id;
}

uint32_t LookupClass(const void* addr) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  if ((a >> kAddressBits) != 0) return 0;
  const Leaf* leaf = root[RootIndex(a)].load(std::memory_order_acquire);
  if (leaf == nullptr) return 0;
  return leaf->ids[LeafIndex(a)].load(std::memory_order_acquire);
}

absl::Status RegisterChunk(void* chunk, uint32_t class_id, MapperRef mapper) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(chunk);
  if ((a >> kAddressBits) != 0 || a % kChunkSize != 0 || class_id == 0) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  std::atomic<Leaf*>& slot = root[RootIndex(a)];
  Leaf* leaf = slot.load(std::memory_order_acquire);
  if (leaf == nullptr) {
    const size_t page = mapper.page_size();
    const size_t bytes = (sizeof(Leaf) + page - 1) / page * page;
    absl::StatusOr<void*> mem = mapper.Reserve(bytes, page);
    if (!mem.ok()) return mem.status();
    if (absl::Status s = mapper.Commit(*mem, bytes); !s.ok()) {
      (void)mapper.Release(*mem, bytes);
      return s;
    }
    Leaf* fresh = static_cast<Leaf*>(*mem);  // committed memory reads as zero
    if (slot.compare_exchange_strong(leaf, fresh, std::memory_order_acq_rel)) {
      leaf = fresh;
    } else {
      (void)mapper.Release(*mem, bytes);  // another thread installed one
    }
  }
  leaf->ids[LeafIndex(a)].store(class_id, std::memory_order_release);
  return absl::OkStatus();
}

void UnregisterChunk(void* chunk) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(chunk);
  if ((a >> kAddressBits) != 0) return;
  Leaf* leaf = root[RootIndex(a)].load(std::memory_order_acquire);
  if (leaf != nullptr)
    leaf->ids[LeafIndex(a)].store(0, std::memory_order_release);
}

}  // namespace slab
}  // namespace slabkit

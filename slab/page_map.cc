#include "slab/page_map.h"

#include <sys/mman.h>

#include <atomic>

#include "absl/base/attributes.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace slab {

namespace page_map_internal {
ABSL_CONST_INIT std::atomic<Leaf*> root[size_t{1} << kRootBits];
}  // namespace page_map_internal

namespace {

using page_map_internal::kLeafBits;
using page_map_internal::kRegionShift;
using page_map_internal::Leaf;
using page_map_internal::root;

ABSL_CONST_INIT Leaf static_leaves[kStaticLeaves];
ABSL_CONST_INIT std::atomic<int> static_leaves_used{0};
ABSL_CONST_INIT std::atomic<uint32_t> next_class_id{1};

// A zeroed leaf from the static pool, else from mmap; nullptr when neither
// has one. A leaf that loses the race to be installed is wasted, which
// happens at most once per region and thread.
Leaf* NewLeaf() {
  if (static_leaves_used.load(std::memory_order_relaxed) < kStaticLeaves) {
    const int i = static_leaves_used.fetch_add(1, std::memory_order_relaxed);
    if (i < kStaticLeaves) return &static_leaves[i];
  }
  void* p = mmap(nullptr, sizeof(Leaf), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<Leaf*>(p);
}

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

absl::Status RegisterChunk(void* chunk, uint32_t class_id) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(chunk);
  if ((a >> kAddressBits) != 0 || a % kChunkSize != 0 || class_id == 0) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  std::atomic<Leaf*>& slot = root[RootIndex(a)];
  Leaf* leaf = slot.load(std::memory_order_acquire);
  if (leaf == nullptr) {
    Leaf* fresh = NewLeaf();
    if (fresh == nullptr) {
      return CodeStatus(absl::StatusCode::kResourceExhausted);
    }
    if (slot.compare_exchange_strong(leaf, fresh, std::memory_order_acq_rel)) {
      leaf = fresh;
    }  // else another thread installed one first: use it
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

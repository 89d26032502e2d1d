#include "slab/metadata_arena.h"

#include <algorithm>
#include <cstdint>
#include <mutex>

namespace slabkit {
namespace slab {

void* MetadataArena::Allocate(size_t size, size_t alignment) {
  std::lock_guard<std::mutex> lock(mu_);
  auto aligned = [&](char* p) {
    return reinterpret_cast<char*>(
        (reinterpret_cast<uintptr_t>(p) + alignment - 1) & ~(alignment - 1));
  };
  char* p = aligned(next_);
  if (next_ == nullptr || p > end_ || static_cast<size_t>(end_ - p) < size) {
    const size_t page = mapper_.page_size();
    const size_t bytes =
        std::max(kBlockBytes, (size + alignment + page - 1) / page * page);
    absl::StatusOr<void*> mem = mapper_.Reserve(bytes, page);
    if (!mem.ok()) return nullptr;
    if (!mapper_.Commit(*mem, bytes).ok()) {
      (void)mapper_.Release(*mem, bytes);
      return nullptr;
    }
    // The rest of the previous block is abandoned: records are small, so
    // little is lost.
    next_ = static_cast<char*>(*mem);
    end_ = next_ + bytes;
    mapped_ += bytes;
    p = aligned(next_);
  }
  next_ = p + size;
  return p;
}

size_t MetadataArena::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mapped_;
}

}  // namespace slab
}  // namespace slabkit

// ThpMapper: anonymous memory with transparent-huge-page advice.
#ifndef SLABKIT_MAPPER_THP_MAPPER_H_
#define SLABKIT_MAPPER_THP_MAPPER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {

// Like MmapMapper, but reservations are aligned to the huge-page size (2 MiB)
// and committed ranges get MADV_HUGEPAGE, so the kernel may back them with
// huge pages (fewer TLB misses for large, hot classes). The advice is best
// effort: a kernel without THP still commits, with small pages.
class ThpMapper {
 public:
  static constexpr size_t kHugePageSize = size_t{2} << 20;

  constexpr ThpMapper() = default;

  size_t page_size() const { return base_.page_size(); }
  const char* name() const { return "thp"; }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment);
  absl::Status Commit(void* addr, size_t size);
  absl::Status Decommit(void* addr, size_t size) {
    return base_.Decommit(addr, size);
  }
  absl::Status Protect(void* addr, size_t size) {
    return base_.Protect(addr, size);
  }
  absl::Status Unprotect(void* addr, size_t size) {
    return base_.Unprotect(addr, size);
  }
  absl::Status Release(void* addr, size_t size) {
    return base_.Release(addr, size);
  }

 private:
  MmapMapper base_;
};

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_THP_MAPPER_H_

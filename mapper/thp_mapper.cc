#include "mapper/thp_mapper.h"

#include <sys/mman.h>

#include <algorithm>

namespace slabkit {

absl::StatusOr<void*> ThpMapper::Reserve(size_t size, size_t alignment) {
  // Huge-page alignment only for ranges that can hold a huge page.
  if (size >= kHugePageSize) alignment = std::max(alignment, kHugePageSize);
  return ReserveAligned(size, alignment);
}

absl::Status ThpMapper::Commit(void* addr, size_t size) {
  absl::Status status = base_.Commit(addr, size);
  if (!status.ok()) return status;
  // Advice only: EINVAL on kernels built without THP is not an error.
  (void)madvise(addr, size, MADV_HUGEPAGE);
  return absl::OkStatus();
}

}  // namespace slabkit

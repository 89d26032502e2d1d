// MmapMapper: anonymous private mappings from the kernel. The default mapper.
#ifndef SLABKIT_MAPPER_MMAP_MAPPER_H_
#define SLABKIT_MAPPER_MMAP_MAPPER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slabkit {

// The system page size, read once.
size_t SystemPageSize();

// Reserves with PROT_NONE and MAP_NORESERVE, commits with mprotect, and
// decommits with MADV_DONTNEED: the pages go back to the kernel and the range
// reads as zeros, still mapped (no VMA split, and a benign reader of a
// type-stable object does not fault). Stateless.
class MmapMapper {
 public:
  constexpr MmapMapper() = default;

  size_t page_size() const { return SystemPageSize(); }
  const char* name() const { return "mmap"; }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment);
  absl::Status Commit(void* addr, size_t size);
  absl::Status Decommit(void* addr, size_t size);
  absl::Status Protect(void* addr, size_t size);
  absl::Status Unprotect(void* addr, size_t size);
  absl::Status Release(void* addr, size_t size);
};

// Reserves `size` bytes of inaccessible anonymous address space aligned to
// `alignment`; shared by the mmap-based mappers.
absl::StatusOr<void*> ReserveAligned(size_t size, size_t alignment);

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_MMAP_MAPPER_H_

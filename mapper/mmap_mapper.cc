#include "mapper/mmap_mapper.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "mapper/mapper.h"

namespace slabkit {

size_t SystemPageSize() {
  static const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page_size;
}

absl::StatusOr<void*> ReserveAligned(size_t size, size_t alignment) {
  const size_t page = SystemPageSize();
  if (size == 0 || size % page != 0 || !IsPowerOfTwo(alignment) ||
      alignment < page) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  // Over-reserve by alignment - page, then trim both ends to the aligned part.
  const size_t slack = alignment - page;
  if (size > SIZE_MAX - slack) {
    return CodeStatus(absl::StatusCode::kResourceExhausted);
  }
  const size_t total = size + slack;
  void* raw = mmap(nullptr, total, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return ErrnoStatus(errno);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (begin + alignment - 1) & ~(alignment - 1);
  if (aligned > begin) munmap(raw, aligned - begin);
  const uintptr_t end = begin + total;
  if (aligned + size < end) {
    munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  }
  return reinterpret_cast<void*>(aligned);
}

absl::StatusOr<void*> MmapMapper::Reserve(size_t size, size_t alignment) {
  return ReserveAligned(size, alignment);
}

absl::Status MmapMapper::Commit(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  if (mprotect(addr, size, PROT_READ | PROT_WRITE) != 0) {
    return ErrnoStatus(errno);
  }
  return absl::OkStatus();
}

absl::Status MmapMapper::Decommit(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  if (madvise(addr, size, MADV_DONTNEED) != 0) return ErrnoStatus(errno);
  return absl::OkStatus();
}

absl::Status MmapMapper::Protect(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  if (mprotect(addr, size, PROT_NONE) != 0) return ErrnoStatus(errno);
  return absl::OkStatus();
}

absl::Status MmapMapper::Unprotect(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  if (mprotect(addr, size, PROT_READ | PROT_WRITE) != 0) {
    return ErrnoStatus(errno);
  }
  return absl::OkStatus();
}

absl::Status MmapMapper::Release(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  if (munmap(addr, size) != 0) return ErrnoStatus(errno);
  return absl::OkStatus();
}

}  // namespace slabkit

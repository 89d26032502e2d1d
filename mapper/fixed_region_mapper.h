// FixedRegionMapper: carves reservations from one caller-provided buffer and
// never calls the operating system (embedded use, deterministic tests).
#ifndef SLABKIT_MAPPER_FIXED_REGION_MAPPER_H_
#define SLABKIT_MAPPER_FIXED_REGION_MAPPER_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slabkit {

// Reserve is first-fit over a sorted, coalesced list of free ranges; Release
// gives a range back. What it cannot do without the OS, it documents:
// - Commit zero-fills the range with memset (the contract's zeros);
// - Decommit frees no memory (the buffer is the caller's) and leaves the
//   bytes as they were until the next Commit zeroes them;
// - Protect cannot make a guard fault: guard pages are plain memory here.
// The buffer must outlive the mapper and every allocation made from it; a
// slabkit class keeps its chunks for the life of the process, so a buffer
// that backs classes must never be freed.
class FixedRegionMapper {
 public:
  // Free-range slots: the list holds at most this many disjoint gaps.
  static constexpr int kMaxFreeRanges = 64;

  // Uses the `page_size`-aligned part of [buffer, buffer + size).
  // `page_size` must be a power of two.
  FixedRegionMapper(void* buffer, size_t size, size_t page_size = 4096);
  FixedRegionMapper(const FixedRegionMapper&) = delete;
  FixedRegionMapper& operator=(const FixedRegionMapper&) = delete;

  size_t page_size() const { return page_size_; }
  const char* name() const { return "fixed"; }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment);
  absl::Status Commit(void* addr, size_t size);
  absl::Status Decommit(void* addr, size_t size);
  absl::Status Protect(void* addr, size_t size);
  absl::Status Release(void* addr, size_t size);

  // Bytes not reserved at the moment.
  size_t free_bytes() const;

  // Fork safety (mapper.h): takes and releases the mapper's lock.
  void LockForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  struct Range {
    uintptr_t begin;
    uintptr_t end;
  };

  bool InRegion(const void* addr, size_t size) const;
  // Inserts `r` at index i, shifting later ranges up. Needs a free slot.
  void InsertLocked(int i, Range r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(int i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t page_size_;
  const uintptr_t begin_;
  const uintptr_t end_;
  mutable std::mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
  Range free_[kMaxFreeRanges] ABSL_GUARDED_BY(mu_);
};

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_FIXED_REGION_MAPPER_H_

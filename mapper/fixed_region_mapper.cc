#include "mapper/fixed_region_mapper.h"

#include <cstring>
#include <mutex>

#include "mapper/mapper.h"

namespace slabkit {
namespace {

uintptr_t AlignUp(uintptr_t x, size_t alignment) {
  return (x + alignment - 1) & ~(static_cast<uintptr_t>(alignment) - 1);
}

}  // namespace

FixedRegionMapper::FixedRegionMapper(void* buffer, size_t size,
                                     size_t page_size)
    : page_size_(page_size),
      begin_(AlignUp(reinterpret_cast<uintptr_t>(buffer), page_size)),
      end_((reinterpret_cast<uintptr_t>(buffer) + size) &
           ~(static_cast<uintptr_t>(page_size) - 1)) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IsPowerOfTwo(page_size) && end_ > begin_) {
    free_[0] = Range{begin_, end_};
    count_ = 1;
  }
}

bool FixedRegionMapper::InRegion(const void* addr, size_t size) const {
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  return IsPageRange(addr, size, page_size_) && a >= begin_ && a <= end_ &&
         size <= end_ - a;
}

void FixedRegionMapper::InsertLocked(int i, Range r) {
  memmove(&free_[i + 1], &free_[i], (count_ - i) * sizeof(Range));
  free_[i] = r;
  ++count_;
}

void FixedRegionMapper::EraseLocked(int i) {
  memmove(&free_[i], &free_[i + 1], (count_ - i - 1) * sizeof(Range));
  --count_;
}

absl::StatusOr<void*> FixedRegionMapper::Reserve(size_t size,
                                                 size_t alignment) {
  if (size == 0 || size % page_size_ != 0 || !IsPowerOfTwo(alignment) ||
      alignment < page_size_) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < count_; ++i) {
    const Range r = free_[i];
    const uintptr_t a = AlignUp(r.begin, alignment);
    if (a < r.begin || a >= r.end || r.end - a < size) continue;
    const bool head = a > r.begin;
    const bool tail = a + size < r.end;
    if (head && tail) {
      // The range splits in two: that needs one more slot.
      if (count_ == kMaxFreeRanges) continue;
      free_[i].end = a;
      InsertLocked(i + 1, Range{a + size, r.end});
    } else if (head) {
      free_[i].end = a;
    } else if (tail) {
      free_[i].begin = a + size;
    } else {
      EraseLocked(i);
    }
    return reinterpret_cast<void*>(a);
  }
  return CodeStatus(absl::StatusCode::kResourceExhausted);
}

absl::Status FixedRegionMapper::Commit(void* addr, size_t size) {
  if (!InRegion(addr, size)) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  memset(addr, 0, size);
  return absl::OkStatus();
}

absl::Status FixedRegionMapper::Decommit(void* addr, size_t size) {
  if (!InRegion(addr, size)) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  return absl::OkStatus();
}

absl::Status FixedRegionMapper::Protect(void* addr, size_t size) {
  if (!InRegion(addr, size)) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  return absl::OkStatus();
}

absl::Status FixedRegionMapper::Release(void* addr, size_t size) {
  if (!InRegion(addr, size)) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  const uintptr_t b = reinterpret_cast<uintptr_t>(addr);
  const uintptr_t e = b + size;
  std::lock_guard<std::mutex> lock(mu_);
  int i = 0;
  while (i < count_ && free_[i].begin < b) ++i;
  // A range that overlaps free space was never reserved (or was released
  // twice).
  if ((i > 0 && free_[i - 1].end > b) || (i < count_ && free_[i].begin < e)) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  const bool join_prev = i > 0 && free_[i - 1].end == b;
  const bool join_next = i < count_ && free_[i].begin == e;
  if (join_prev && join_next) {
    free_[i - 1].end = free_[i].end;
    EraseLocked(i);
  } else if (join_prev) {
    free_[i - 1].end = e;
  } else if (join_next) {
    free_[i].begin = b;
  } else {
    if (count_ == kMaxFreeRanges) {
      return CodeStatus(absl::StatusCode::kResourceExhausted);
    }
    InsertLocked(i, Range{b, e});
  }
  return absl::OkStatus();
}

size_t FixedRegionMapper::free_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t total = 0;
  for (int i = 0; i < count_; ++i) total += free_[i].end - free_[i].begin;
  return total;
}

}  // namespace slabkit

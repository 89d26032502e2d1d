#include "examples/custom_mapper/counting_mapper.h"

namespace example {

std::atomic<uint64_t> CountingMapper::reserved_bytes_{0};
std::atomic<uint64_t> CountingMapper::committed_bytes_{0};

absl::StatusOr<void*> CountingMapper::Reserve(size_t size, size_t alignment) {
  absl::StatusOr<void*> p = base_.Reserve(size, alignment);
  if (p.ok()) reserved_bytes_ += size;
  return p;
}

absl::Status CountingMapper::Commit(void* addr, size_t size) {
  absl::Status s = base_.Commit(addr, size);
  if (s.ok()) committed_bytes_ += size;
  return s;
}

absl::Status CountingMapper::Decommit(void* addr, size_t size) {
  absl::Status s = base_.Decommit(addr, size);
  if (s.ok()) committed_bytes_ -= size;
  return s;
}

absl::Status CountingMapper::Protect(void* addr, size_t size) {
  return base_.Protect(addr, size);
}

absl::Status CountingMapper::Release(void* addr, size_t size) {
  absl::Status s = base_.Release(addr, size);
  if (s.ok()) reserved_bytes_ -= size;
  return s;
}

}  // namespace example

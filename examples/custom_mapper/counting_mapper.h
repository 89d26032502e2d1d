// An example of a user's own mapper: anonymous memory, counted. Built on
// MmapMapper, it satisfies the contract in mapper/mapper.h and can replace
// slabkit's default everywhere with one flag:
//   bazel build //... --//mapper:default=//examples/custom_mapper
#ifndef SLABKIT_EXAMPLES_CUSTOM_MAPPER_COUNTING_MAPPER_H_
#define SLABKIT_EXAMPLES_CUSTOM_MAPPER_COUNTING_MAPPER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mapper/mmap_mapper.h"

namespace example {

class CountingMapper {
 public:
  constexpr CountingMapper() = default;

  size_t page_size() const { return base_.page_size(); }
  const char* name() const { return "counting"; }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment);
  absl::Status Commit(void* addr, size_t size);
  absl::Status Decommit(void* addr, size_t size);
  absl::Status Protect(void* addr, size_t size);
  absl::Status Release(void* addr, size_t size);

  // Successful calls so far, over every CountingMapper in the process.
  static uint64_t reserved_bytes() { return reserved_bytes_.load(); }
  static uint64_t committed_bytes() { return committed_bytes_.load(); }

 private:
  static std::atomic<uint64_t> reserved_bytes_;
  static std::atomic<uint64_t> committed_bytes_;
  slabkit::MmapMapper base_;
};

}  // namespace example

#endif  // SLABKIT_EXAMPLES_CUSTOM_MAPPER_COUNTING_MAPPER_H_

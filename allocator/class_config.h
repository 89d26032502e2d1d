// The vocabulary of slabkit's C++ class API: what a class is made from, its
// handle, and what can be read about it.
#ifndef SLABKIT_ALLOCATOR_CLASS_CONFIG_H_
#define SLABKIT_ALLOCATOR_CLASS_CONFIG_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace slabkit {

// Longest class name, in bytes.
inline constexpr size_t kMaxClassName = 63;

// How to build a class. Strings are copied at registration.
struct ClassConfig {
  absl::string_view name;  // required: 1 to kMaxClassName bytes
  size_t size = 0;         // bytes per object: 1 to 256 KiB
  // 0: the default (16 for objects of 16 bytes or more, else the smallest
  // power of two holding the object); otherwise a power of two no larger
  // than the mapper's page size.
  size_t alignment = 0;
  bool zero_init = false;  // every allocation reads as zeros
  // Empty: the allocator's own mapper. Otherwise a name given to
  // RegisterMapper ("mmap", "thp", "file", "default" are built in).
  absl::string_view mapper;
};

// A registered class. Id 0 is never valid; ids are never reused.
struct ClassId {
  uint32_t value = 0;
  friend bool operator==(ClassId a, ClassId b) { return a.value == b.value; }
  friend bool operator!=(ClassId a, ClassId b) { return a.value != b.value; }
};

// A consistent snapshot of one class.
struct ClassStats {
  const char* name = nullptr;    // valid for the life of the process
  const char* mapper = nullptr;  // the mapper's name()
  size_t size = 0;               // as registered
  size_t object_size = 0;        // the stride objects are carved at
  size_t alignment = 0;
  // Counted by the allocator's Stats policy (zero under NoStats).
  uint64_t allocations = 0;
  uint64_t releases = 0;
  uint64_t live = 0;  // allocations - releases
  uint64_t peak_live = 0;
  // From the slab, always exact.
  size_t chunks = 0;
  size_t spans = 0;
  size_t reserved_bytes = 0;
  size_t committed_bytes = 0;
};

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_CLASS_CONFIG_H_

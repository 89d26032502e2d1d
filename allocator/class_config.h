// The vocabulary of slabkit's C++ class API: what a class is made from, its
// handle, and what can be read about it.
#ifndef SLABKIT_ALLOCATOR_CLASS_CONFIG_H_
#define SLABKIT_ALLOCATOR_CLASS_CONFIG_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "slab/slab_class.h"
#include "stats/class_stats.h"

namespace slabkit {

using slab::ObjectHooks;

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
  // Per-thread caching (MagazineCache), 0 for the default: objects per
  // magazine (up to 1024; default 16 KiB worth, 4 to 128), and full
  // magazines the class's depot keeps before returning objects to the slab
  // (default 16).
  uint32_t magazine_capacity = 0;
  uint32_t depot_magazines = 0;
  // Object caching: construct runs once per slot, when it is first carved;
  // destruct only when ReleaseIdleMemory reclaims the slot's span. Objects
  // are handed out and must be released constructed. Excludes zero_init.
  // Hardened allocators do not sample such classes into guarded pages.
  ObjectHooks object_hooks;
  // Checks for classes that may give up type stability's promise that a
  // released object keeps the program's bytes (off by default; both exclude
  // object_hooks). A class with either is served by its slab, under its
  // lock, on every call (no per-thread cache): about 40 ns a pair.
  // canary: each slot has kClassCanaryBytes more after the object, written
  //   when it is handed out and checked when it is released: an overflow is
  //   reported ("heap buffer overflow") at the release.
  bool canary = false;
  // fill_released: a released object is filled with zeros, and checked to
  //   still be when handed out again: a write after free is reported
  //   ("write after free") instead of reaching the next owner, and nothing
  //   of the previous owner's bytes does either.
  bool fill_released = false;
};

// The bytes a `canary` class adds to each slot (before alignment).
inline constexpr size_t kClassCanaryBytes = 16;

// A registered class. Id 0 is never valid; ids are never reused.
struct ClassId {
  uint32_t value = 0;
  friend bool operator==(ClassId a, ClassId b) { return a.value == b.value; }
  friend bool operator!=(ClassId a, ClassId b) { return a.value != b.value; }
};

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_CLASS_CONFIG_H_

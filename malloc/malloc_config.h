// What a Malloc<Config> is built from: its Config (the flavour's, or a
// test's with a mapper of its own) and the bound on freed large blocks kept
// for reuse.
#ifndef SLABKIT_MALLOC_MALLOC_CONFIG_H_
#define SLABKIT_MALLOC_MALLOC_CONFIG_H_

#include <cstddef>
#include <type_traits>

#include "allocator/decay.h"
#include "allocator/policies.h"
#include "mapper/default_instance.h"
#include "mapper/registry.h"
#include "policy/mitigations.h"

namespace slabkit {
namespace malloc {

// Freed large blocks the fast flavour retains mapped for reuse (at most this
// much committed memory, or half what live large blocks hold when that is
// more, and LargeAllocator::kRetainedSlots blocks), as glibc
// keeps freed memory below its trim threshold and jemalloc keeps dirty
// pages: a program that frees and remakes large buffers pays no system call
// for them. With Mitigations::kLargeQuarantine they are quarantined instead:
// their pages go back and become inaccessible, so a use after free faults,
// and their addresses are not reused for the next kRetainedSlots frees.
inline constexpr size_t kLargeReuseBytes = size_t{64} << 20;

// The mapper a Malloc<Config> takes its memory from: Config::MapperInstance()
// when the Config declares one (a test's fault-injecting mapper), else the
// build's default mapper (then Config::Mapper must be DefaultMapper).
template <typename Config, typename = void>
struct MallocMapper {
  static DefaultMapper& Get() { return DefaultMapperInstance(); }
};
template <typename Config>
struct MallocMapper<Config, std::void_t<decltype(Config::MapperInstance())>> {
  static typename Config::Mapper& Get() { return Config::MapperInstance(); }
};

// The Config of the malloc drop-in of a flavour: the build's default mapper
// and the flavour's mitigations, in a Config of its own so that malloc's
// per-thread cache entries are its alone.
// Its slow paths drive decay (allocator/decay.h).
// No class is zero_init (calloc zeroes what it needs), so malloc's fast path
// has no zero_init test (policy/cache.h).
template <Mitigations kM>
struct MallocConfig : Compose<DefaultMapper, kM> {
  static constexpr bool kZeroInitClasses = false;
  static void NoteSlowPath() { NoteDecaySlowPath(); }
};

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_MALLOC_CONFIG_H_

// What the memory-checking tool a build targets (valgrind's memcheck, or
// AddressSanitizer) is told about slabkit's objects, so that it reports a
// use after release, a read of an object never written, or a leak, as it
// does for malloc's blocks (after mimalloc's MI_TRACK_VALGRIND and
// MI_TRACK_ASAN).
//
// Chosen per build, because every call costs instructions on the fast paths:
//   --@slabkit//base:memory_tool=valgrind   client requests (memcheck)
//   --@slabkit//base:memory_tool=asan       manual poisoning; the build
//                                           must be -fsanitize=address
//   --@slabkit//base:memory_tool=none       the default: nothing, at no cost
// (docs/debugging.md). The calls below are no-ops in a build without one.
#ifndef SLABKIT_BASE_MEMORY_TOOL_H_
#define SLABKIT_BASE_MEMORY_TOOL_H_

#include <cstddef>

#if defined(SLABKIT_MEMORY_TOOL_VALGRIND)
#include <valgrind/memcheck.h>
#elif defined(SLABKIT_MEMORY_TOOL_ASAN)
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLABKIT_MEMORY_TOOL_ASAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SLABKIT_MEMORY_TOOL_ASAN_BUILD 1
#endif
#if !defined(SLABKIT_MEMORY_TOOL_ASAN_BUILD)
#error \
    "--@slabkit//base:memory_tool=asan needs an ASan build (-fsanitize=address, e.g. --config=asan)"
#endif
#include <sanitizer/asan_interface.h>
#endif

namespace slabkit {
namespace memory_tool {

#if defined(SLABKIT_MEMORY_TOOL_VALGRIND) || defined(SLABKIT_MEMORY_TOOL_ASAN)
inline constexpr bool kEnabled = true;
#else
inline constexpr bool kEnabled = false;
#endif
#if defined(SLABKIT_MEMORY_TOOL_VALGRIND)
inline constexpr bool kValgrind = true;
#else
inline constexpr bool kValgrind = false;
#endif

// `p` (n bytes) is handed to the program; `defined`: its bytes count as
// written (zero_init), else as never written.
inline void Allocated(void* p, size_t n, bool defined) {
#if defined(SLABKIT_MEMORY_TOOL_VALGRIND)
  VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, defined ? 1 : 0);
#elif defined(SLABKIT_MEMORY_TOOL_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
  (void)p, (void)n, (void)defined;
}

// `p` (n bytes, as Allocated was told) is released: no access until it is
// handed out again.
inline void Released(void* p, size_t n) {
#if defined(SLABKIT_MEMORY_TOOL_VALGRIND)
  VALGRIND_FREELIKE_BLOCK(p, 0);
#elif defined(SLABKIT_MEMORY_TOOL_ASAN)
  ASAN_POISON_MEMORY_REGION(p, n);
#endif
  (void)p, (void)n;
}

// Before slabkit's own write into a released object it is about to hand
// out (zero_init's memset): accessible, contents undefined.
inline void AboutToWrite(void* p, size_t n) {
#if defined(SLABKIT_MEMORY_TOOL_VALGRIND)
  VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#elif defined(SLABKIT_MEMORY_TOOL_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
  (void)p, (void)n;
}

}  // namespace memory_tool
}  // namespace slabkit

#endif  // SLABKIT_BASE_MEMORY_TOOL_H_

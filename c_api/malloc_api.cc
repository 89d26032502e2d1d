// The malloc drop-in: the C library's allocation functions and every C++
// operator new and delete, over slabkit (malloc/malloc.h). One source, two
// flavours: //c_api:malloc and, built with SLABKIT_HARDENED,
// //c_api:malloc_hardened (and the libslabkit_malloc*.so built from them).
//
// Errors follow glibc's documentation: a failed allocation returns null with
// errno ENOMEM; a bad alignment is EINVAL; nothing aborts but detected
// misuse, which is reported (guard/report.h) naming the kind, the address
// and the class.
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "allocator/process.h"
#include "base/memory_tool.h"
#include "c_api/slabkit_malloc.h"
#include "malloc/malloc.h"
#include "stats/report.h"

#define SLABKIT_EXPORT __attribute__((visibility("default")))

namespace {

using slabkit::IsPowerOfTwo;
using slabkit::malloc::Family;
namespace memory_tool = slabkit::memory_tool;

// The malloc the exports call: the build's, and in a build for valgrind
// (--//base:memory_tool=valgrind, fast flavour) memcheck is told of each
// block, at its usable size, as it is handed out and before it is freed
// (so that no other thread can have it yet). realloc then always moves
// the block and calloc zeroes it here, after memcheck knows it: slabkit
// never writes into a block memcheck considers freed. ASan programs bring
// their own malloc, so only valgrind applies.
struct M : slabkit::malloc::BuildMalloc {
  using Untracked = slabkit::malloc::BuildMalloc;
  static constexpr bool kTracked = memory_tool::kValgrind && !kBlockChecks;

  static void* Handed(void* p, bool defined = false) {
    if (kTracked && p != nullptr) {
      memory_tool::Allocated(p, Untracked::UsableSize(p), defined);
    }
    return p;
  }
  static void Freeing(void* p) {
    if (kTracked && p != nullptr) memory_tool::Released(p, 0);
  }

  template <Family F = Family::kMalloc>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void* Allocate(size_t n) {
    return Handed(Untracked::Allocate<F>(n));
  }
  template <Family F = Family::kMalloc>
  static void* AlignedAllocate(size_t alignment, size_t n) {
    return Handed(Untracked::AlignedAllocate<F>(alignment, n));
  }
  static void* Calloc(size_t count, size_t size) {
    if constexpr (!kTracked) return Untracked::Calloc(count, size);
    size_t n;
    if (!ArrayBytes(count, size, &n)) return nullptr;
    void* p = Handed(Untracked::Allocate(n), /*defined=*/true);
    if (p != nullptr) memset(p, 0, n);
    return p;
  }
  static void* Realloc(void* p, size_t n) {
    if constexpr (!kTracked) return Untracked::Realloc(p, n);
    if (p == nullptr) return Allocate(n);
    const size_t old = Untracked::UsableSize(p);  // misuse is reported here
    if (n == 0) {
      Free(p);
      return nullptr;
    }
    void* q = Allocate(n);
    if (q == nullptr) return nullptr;
    memcpy(q, p, old < n ? old : n);
    Free(p);
    return q;
  }
  static void* ReallocArray(void* p, size_t count, size_t size) {
    size_t n;
    return ArrayBytes(count, size, &n) ? Realloc(p, n) : nullptr;
  }
  template <Family F = Family::kMalloc>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void Free(void* p) {
    Freeing(p);
    Untracked::Free<F>(p);
  }
  template <Family F = Family::kMalloc>
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void FreeSized(void* p, size_t n) {
    Freeing(p);
    Untracked::FreeSized<F>(p, n);
  }
  template <Family F = Family::kMalloc>
  static void FreeAlignedSized(void* p, size_t alignment, size_t n) {
    Freeing(p);
    Untracked::FreeAlignedSized<F>(p, alignment, n);
  }
};
constexpr Family kNew = Family::kNew;
constexpr Family kNewArray = Family::kNewArray;

// memalign's reading of an alignment, as glibc's: at most 16 is plain
// malloc's; others are rounded up to a power of two. 0 for one too large to
// round (EINVAL).
size_t MemalignAlignment(size_t alignment) {
  if (alignment <= 16) return 16;
  if (alignment > (~size_t{0} >> 1) + 1) return 0;
  size_t a = 32;
  while (a < alignment) a <<= 1;
  return a;
}

void* Memalign(size_t alignment, size_t n) {
  const size_t a = MemalignAlignment(alignment);
  if (a == 0) {
    errno = EINVAL;
    return nullptr;
  }
  return M::AlignedAllocate(a, n);
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// operator new past its fast path: the new-handler loop, then bad_alloc (or
// nullptr for the nothrow forms, which, as the standard has them, return
// nullptr where the throwing form would throw).
// F: new or new[] (the hardened flavour checks that delete or delete[]
// releases it).
template <Family F>
ABSL_ATTRIBUTE_NOINLINE void* NewSlow(size_t n, size_t alignment,
                                      bool nothrow) {
  for (;;) {
    void* p = alignment != 0 ? M::AlignedAllocate<F>(alignment, n)
                             : M::Allocate<F>(n);
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) {
      if (nothrow) return nullptr;
      throw std::bad_alloc();
    }
    if (!nothrow) {
      handler();
      continue;
    }
    try {
      handler();
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }
}

template <Family F>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* New(size_t n) {
  void* p = M::Allocate<F>(n);
  if (ABSL_PREDICT_TRUE(p != nullptr)) return p;
  return NewSlow<F>(n, 0, false);
}

template <Family F>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* NewNothrow(size_t n) {
  void* p = M::Allocate<F>(n);
  if (ABSL_PREDICT_TRUE(p != nullptr)) return p;
  return NewSlow<F>(n, 0, true);
}

size_t NewAlignment(std::align_val_t alignment) {
  const size_t a = MemalignAlignment(static_cast<size_t>(alignment));
  return a == 0 ? ~size_t{0} : a;  // an impossible alignment fails
}

}  // namespace

extern "C" {

SLABKIT_EXPORT void* malloc(size_t n) noexcept { return M::Allocate(n); }

SLABKIT_EXPORT void free(void* p) noexcept { M::Free(p); }

SLABKIT_EXPORT void* calloc(size_t count, size_t size) noexcept {
  return M::Calloc(count, size);
}

SLABKIT_EXPORT void* realloc(void* p, size_t n) noexcept {
  return M::Realloc(p, n);
}

SLABKIT_EXPORT void* reallocarray(void* p, size_t count, size_t size) noexcept {
  return M::ReallocArray(p, count, size);
}

SLABKIT_EXPORT int posix_memalign(void** out, size_t alignment,
                                  size_t n) noexcept {
  if (alignment % sizeof(void*) != 0 || !IsPowerOfTwo(alignment)) {
    return EINVAL;
  }
  // POSIX: the result is the return value; errno is left alone.
  const int saved = errno;
  void* p = M::AlignedAllocate(alignment, n);
  const int error = p == nullptr ? errno : 0;
  errno = saved;
  if (p == nullptr) return error;
  *out = p;
  return 0;
}

// C17 (DR 460) and glibc 2.38: an alignment that is not a power of two is
// EINVAL; any size is allowed.
SLABKIT_EXPORT void* aligned_alloc(size_t alignment, size_t n) noexcept {
  if (!IsPowerOfTwo(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  return M::AlignedAllocate(alignment, n);
}

SLABKIT_EXPORT void* memalign(size_t alignment, size_t n) noexcept {
  return Memalign(alignment, n);
}

SLABKIT_EXPORT void* valloc(size_t n) noexcept {
  return M::AlignedAllocate(PageSize(), n);
}

// valloc of the size rounded up to whole pages (one page for 0).
SLABKIT_EXPORT void* pvalloc(size_t n) noexcept {
  const size_t page = PageSize();
  size_t rounded;
  if (__builtin_add_overflow(n, page - 1, &rounded)) {
    errno = ENOMEM;
    return nullptr;
  }
  rounded &= ~(page - 1);
  return M::AlignedAllocate(page, rounded == 0 ? page : rounded);
}

SLABKIT_EXPORT size_t malloc_usable_size(void* p) noexcept {
  return M::UsableSize(p);
}

SLABKIT_EXPORT void free_sized(void* p, size_t n) { M::FreeSized(p, n); }

SLABKIT_EXPORT void free_aligned_sized(void* p, size_t alignment, size_t n) {
  M::FreeAlignedSized(p, alignment, n);
}

// glibc's: returns 1 when memory was given back, else 0. `pad` is ignored.
SLABKIT_EXPORT int malloc_trim(size_t pad) noexcept {
  (void)pad;
  return M::ReleaseIdleMemory() > 0 ? 1 : 0;
}

// glibc's prints its arenas on stderr; this prints slabkit's report.
SLABKIT_EXPORT void malloc_stats(void) noexcept {
  M::WriteStatsReport(STDERR_FILENO, slabkit::ReportFormat::kText);
}

SLABKIT_EXPORT const char* slabkit_malloc_flavour(void) {
  return slabkit::FlavourName(M::kMitigations);
}

SLABKIT_EXPORT int slabkit_malloc_stats_report(int fd, int format) {
  slabkit::ReportFormat f;
  if (!slabkit::ReportFormatFromNumber(format, &f)) return EINVAL;
  M::WriteStatsReport(fd, f);
  return 0;
}

SLABKIT_EXPORT int slabkit_malloc_counters(struct slabkit_counters* out) {
  if (out == nullptr) return EINVAL;
  slabkit::ClassCounters c;
  if (!M::ReadCounters(&c)) return EAGAIN;
  *out = {c.allocations,    c.releases,        c.live,       c.in_use_bytes,
          c.reserved_bytes, c.committed_bytes, c.idle_bytes, c.returned_bytes};
  return 0;
}

SLABKIT_EXPORT void slabkit_malloc_heap_profile(int fd) {
  M::WriteHeapProfile(fd);
}

SLABKIT_EXPORT int slabkit_malloc_write_heap_profile(int fd, int format,
                                                     int kind) {
  if ((format != 0 && format != 1) || (kind != 0 && kind != 1)) return EINVAL;
  M::WriteHeapProfile(fd, static_cast<slabkit::ProfileFormat>(format),
                      static_cast<slabkit::ProfileKind>(kind));
  return 0;
}

SLABKIT_EXPORT void slabkit_malloc_reset_heap_profile(void) {
  M::ResetHeapProfile();
}

SLABKIT_EXPORT size_t slabkit_malloc_release_idle_memory(void) {
  return M::ReleaseIdleMemory();
}

}  // extern "C"

// Every replaceable operator new and delete ([new.delete]).
SLABKIT_EXPORT void* operator new(size_t n) { return New<kNew>(n); }
SLABKIT_EXPORT void* operator new[](size_t n) { return New<kNewArray>(n); }
SLABKIT_EXPORT void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return NewNothrow<kNew>(n);
}
SLABKIT_EXPORT void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return NewNothrow<kNewArray>(n);
}
SLABKIT_EXPORT void* operator new(size_t n, std::align_val_t a) {
  return NewSlow<kNew>(n, NewAlignment(a), false);
}
SLABKIT_EXPORT void* operator new[](size_t n, std::align_val_t a) {
  return NewSlow<kNewArray>(n, NewAlignment(a), false);
}
SLABKIT_EXPORT void* operator new(size_t n, std::align_val_t a,
                                  const std::nothrow_t&) noexcept {
  return NewSlow<kNew>(n, NewAlignment(a), true);
}
SLABKIT_EXPORT void* operator new[](size_t n, std::align_val_t a,
                                    const std::nothrow_t&) noexcept {
  return NewSlow<kNewArray>(n, NewAlignment(a), true);
}

SLABKIT_EXPORT void operator delete(void* p) noexcept { M::Free<kNew>(p); }
SLABKIT_EXPORT void operator delete[](void* p) noexcept {
  M::Free<kNewArray>(p);
}
SLABKIT_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept {
  M::Free<kNew>(p);
}
SLABKIT_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept {
  M::Free<kNewArray>(p);
}
SLABKIT_EXPORT void operator delete(void* p, size_t n) noexcept {
  M::FreeSized<kNew>(p, n);
}
SLABKIT_EXPORT void operator delete[](void* p, size_t n) noexcept {
  M::FreeSized<kNewArray>(p, n);
}
SLABKIT_EXPORT void operator delete(void* p, std::align_val_t) noexcept {
  M::Free<kNew>(p);
}
SLABKIT_EXPORT void operator delete[](void* p, std::align_val_t) noexcept {
  M::Free<kNewArray>(p);
}
SLABKIT_EXPORT void operator delete(void* p, std::align_val_t,
                                    const std::nothrow_t&) noexcept {
  M::Free<kNew>(p);
}
SLABKIT_EXPORT void operator delete[](void* p, std::align_val_t,
                                      const std::nothrow_t&) noexcept {
  M::Free<kNewArray>(p);
}
SLABKIT_EXPORT void operator delete(void* p, size_t n,
                                    std::align_val_t a) noexcept {
  M::FreeAlignedSized<kNew>(p, NewAlignment(a), n);
}
SLABKIT_EXPORT void operator delete[](void* p, size_t n,
                                      std::align_val_t a) noexcept {
  M::FreeAlignedSized<kNewArray>(p, NewAlignment(a), n);
}

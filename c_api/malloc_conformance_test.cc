// The malloc drop-in's API conformance suite: every function, its edge cases
// and errno, as glibc documents them. Linked with cc_test(malloc = ...), so
// the functions under test are the program's own malloc (and GoogleTest
// runs on it too); runs once per flavour.
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <new>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "c_api/slabkit_malloc.h"
#include "gtest/gtest.h"

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMiB = size_t{1} << 20;

// Keeps the compiler from folding malloc/free pairs or sizes away.
template <typename T>
T Opaque(T v) {
  asm volatile("" : "+r"(v));
  return v;
}

bool Aligned(const void* p, size_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

// The hardened flavour's block checks change what malloc_usable_size says:
// the size asked for (the rest of the slot holds a canary).
bool Hardened() { return strcmp(slabkit_malloc_flavour(), "hardened") == 0; }

// Runs before main: malloc works before constructors have run.
void* early_block = [] {
  void* p = malloc(100);
  memset(p, 1, 100);
  return p;
}();

TEST(MallocTest, TheProgramsMallocIsSlabkit) {
  ASSERT_NE(early_block, nullptr);
  EXPECT_NE(slabkit_malloc_flavour(), nullptr);
  void* p = malloc(Opaque(40));
  // glibc would say 40 or 56; slabkit's class is 48, the hardened flavour's
  // canary takes the rest.
  EXPECT_EQ(malloc_usable_size(p), Hardened() ? 40u : 48u);
  free(p);
  free(early_block);
}

TEST(MallocTest, EverySizeIsAlignedAndUsableExactly) {
  for (size_t n = 0; n <= 3 * kMiB; n += (n < 4096 ? 1 : n / 7 + 1)) {
    char* p = static_cast<char*>(malloc(Opaque(n)));
    ASSERT_NE(p, nullptr) << n;
    EXPECT_TRUE(Aligned(p, n <= 8 ? 8 : 16)) << n;
    const size_t usable = malloc_usable_size(p);
    EXPECT_GE(usable, n);
    // Exact: the program may use every byte it is told about.
    memset(p, 0x5a, usable);
    // Within a class, or a page, of the request; a large block the fast
    // flavour reuses keeps up to twice that committed. The hardened
    // flavour's is the request, exactly.
    if (Hardened()) {
      EXPECT_EQ(usable, n) << n;
    } else if (n > 256 * 1024) {
      const size_t pages = (n + kPage - 1) / kPage * kPage;
      EXPECT_GE(usable, pages) << n;
      EXPECT_LE(usable, 2 * pages) << n;
    } else if (n > 128) {
      EXPECT_LE(usable - n, usable / 5) << n;
    }
    free(p);
  }
}

TEST(MallocTest, ZeroSizesGiveDistinctBlocks) {
  void* a = malloc(0);
  void* b = malloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  free(a);
  free(b);
  free(nullptr);
  EXPECT_EQ(malloc_usable_size(nullptr), 0u);
}

TEST(MallocTest, HugeSizesFailWithEnomem) {
  for (size_t n : {~size_t{0}, ~size_t{0} - 4096, size_t{PTRDIFF_MAX} + 1,
                   size_t{1} << 62}) {
    errno = 0;
    EXPECT_EQ(malloc(Opaque(n)), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(calloc(1, Opaque(n)), nullptr);
    EXPECT_EQ(errno, ENOMEM);
  }
}

TEST(MallocTest, CallocZeroesAndChecksOverflow) {
  for (size_t n : {size_t{1}, size_t{48}, size_t{1000}, size_t{70000},
                   size_t{300000}, 5 * kMiB}) {
    // Dirty a block of the size, free it, and calloc it back.
    char* dirty = static_cast<char*>(malloc(n));
    memset(dirty, 0xff, n);
    free(dirty);
    char* p = static_cast<char*>(calloc(1, Opaque(n)));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], 0) << n << " " << i;
    free(p);
  }
  errno = 0;
  EXPECT_EQ(calloc(Opaque(~size_t{0} / 2), 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(calloc(Opaque(size_t{1} << 33), size_t{1} << 33), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* z = calloc(0, 16);
  EXPECT_NE(z, nullptr);
  free(z);
}

// The pages of [p, p + n) that are resident (or map the zero page: a read
// maps it).
size_t ResidentPages(const char* p, size_t n) {
  const uintptr_t from =
      (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  const uintptr_t to = (reinterpret_cast<uintptr_t>(p) + n) & ~(kPage - 1);
  if (to <= from) return 0;
  std::vector<unsigned char> pages((to - from) / kPage);
  EXPECT_EQ(mincore(reinterpret_cast<void*>(from), to - from, pages.data()), 0);
  size_t resident = 0;
  for (unsigned char v : pages) resident += v & 1;
  return resident;
}

// Whether the kernel backs any anonymous memory with huge pages, so that a
// write faults in the 2 MiB around it.
bool HugePagesAlways() {
  char mode[128] = {};
  const int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
  if (fd < 0) return false;
  const ssize_t n = read(fd, mode, sizeof(mode) - 1);
  close(fd);
  return n > 0 && strstr(mode, "[always]") != nullptr;
}

// A block never handed out before is memory fresh from the OS: malloc does
// not read or write it (the hardened flavour's write-after-free check skips
// it; its canaries are at the block's end), so its pages stay unbacked until
// the program uses them. Earlier tests freed a few blocks of the class,
// which come back first: most of the 64 are fresh.
TEST(MallocTest, FreshBlocksAreNotTouched) {
  if (HugePagesAlways()) GTEST_SKIP() << "transparent huge pages: always";
  constexpr size_t kSize = 120000;
  constexpr int kBlocks = 64;
  std::vector<char*> blocks;
  int untouched = 0;
  for (int i = 0; i < kBlocks; ++i) {
    char* p = static_cast<char*>(malloc(Opaque(kSize)));
    ASSERT_NE(p, nullptr);
    // The canary after the block's end, and the tail canary, are in the
    // last pages: only the first kSize - 2 pages are looked at.
    if (ResidentPages(p, kSize - 2 * kPage) == 0) untouched++;
    blocks.push_back(p);
  }
  EXPECT_GE(untouched, kBlocks * 3 / 4);
  for (char* p : blocks) {
    memset(p, 1, kSize);
    EXPECT_GT(ResidentPages(p, kSize), 0u);
    free(p);
  }
}

void Fill(char* p, size_t n, char seed) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(seed + i * 7);
}
void ExpectFilled(const char* p, size_t n, char seed) {
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(p[i], static_cast<char>(seed + i * 7)) << i << " of " << n;
  }
}

TEST(MallocTest, ReallocKeepsContentsAcrossEverySizeChange) {
  const size_t sizes[] = {1,        8,        16,     100,    1000,
                          4096,     70000,    262144, 262145, 300000,
                          3 * kMiB, 9 * kMiB, 500000, 2000,   24};
  char* p = nullptr;
  size_t held = 0;
  char seed = 1;
  for (size_t n : sizes) {
    char* q = static_cast<char*>(realloc(p, Opaque(n)));
    ASSERT_NE(q, nullptr) << n;
    ExpectFilled(q, std::min(held, n), seed);
    ++seed;
    Fill(q, n, seed);
    p = q;
    held = n;
  }
  free(p);
}

TEST(MallocTest, ReallocInPlace) {
  // Within a class: the same block.
  char* p = static_cast<char*>(malloc(100));  // class 112
  EXPECT_EQ(realloc(p, Opaque(110)), p);
  EXPECT_EQ(realloc(p, Opaque(97)), p);
  free(p);
  // A large block grows and shrinks in its own mapping.
  p = static_cast<char*>(malloc(300000));
  Fill(p, 300000, 3);
  char* q = static_cast<char*>(realloc(p, Opaque(2 * kMiB)));
  EXPECT_EQ(q, p);
  EXPECT_EQ(malloc_usable_size(q), 2 * kMiB);
  ExpectFilled(q, 300000, 3);
  q = static_cast<char*>(realloc(q, Opaque(400000)));
  EXPECT_EQ(q, p);
  EXPECT_EQ(malloc_usable_size(q),
            Hardened() ? 400000 : (400000 + kPage - 1) / kPage * kPage);
  free(q);
}

TEST(MallocTest, ReallocZeroFreesAndFailureKeepsTheBlock) {
  void* p = malloc(64);
  EXPECT_EQ(realloc(p, 0), nullptr);  // glibc: frees p
  void* r = realloc(nullptr, 24);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(malloc_usable_size(r), Hardened() ? 24u : 32u);
  char* q = static_cast<char*>(malloc(1000));
  Fill(q, 1000, 9);
  errno = 0;
  EXPECT_EQ(realloc(q, Opaque(~size_t{0} - 100)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  ExpectFilled(q, 1000, 9);
  errno = 0;
  EXPECT_EQ(reallocarray(q, Opaque(~size_t{0} / 4), 8), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  ExpectFilled(q, 1000, 9);
  q = static_cast<char*>(reallocarray(q, 100, 20));
  ASSERT_NE(q, nullptr);
  ExpectFilled(q, 1000, 9);
  free(q);
  free(r);
}

TEST(MallocTest, PosixMemalignEveryAlignment) {
  for (size_t alignment = sizeof(void*); alignment <= 2 * kMiB;
       alignment *= 2) {
    for (size_t n :
         {size_t{0}, size_t{1}, size_t{100}, size_t{5000}, size_t{300000}}) {
      void* p = nullptr;
      const int saved = errno = 1234;
      ASSERT_EQ(posix_memalign(&p, alignment, Opaque(n)), 0)
          << alignment << " " << n;
      EXPECT_EQ(errno, saved);
      ASSERT_TRUE(Aligned(p, alignment)) << alignment << " " << n;
      EXPECT_GE(malloc_usable_size(p), n);
      memset(p, 1, n);
      free(p);
    }
  }
  void* p = reinterpret_cast<void*>(0x1);
  for (size_t bad :
       {size_t{0}, size_t{1}, size_t{4}, size_t{24}, size_t{3} << 10}) {
    errno = 77;
    EXPECT_EQ(posix_memalign(&p, Opaque(bad), 16), EINVAL) << bad;
    EXPECT_EQ(errno, 77);  // untouched
    EXPECT_EQ(p, reinterpret_cast<void*>(0x1));
  }
  EXPECT_EQ(posix_memalign(&p, 64, Opaque(~size_t{0} - 10)), ENOMEM);
}

TEST(MallocTest, AlignedAllocAndMemalign) {
  for (size_t alignment = 1; alignment <= 2 * kMiB; alignment *= 2) {
    for (size_t n : {size_t{1}, size_t{33}, size_t{4096}, size_t{300001}}) {
      void* p = aligned_alloc(Opaque(alignment), n);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(Aligned(p, alignment)) << alignment;
      EXPECT_GE(malloc_usable_size(p), n);
      free(p);
      p = memalign(Opaque(alignment), n);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(Aligned(p, alignment)) << alignment;
      free(p);
    }
  }
  for (size_t bad : {size_t{0}, size_t{3}, size_t{48}, size_t{100}}) {
    errno = 0;
    EXPECT_EQ(aligned_alloc(Opaque(bad), 64), nullptr) << bad;
    EXPECT_EQ(errno, EINVAL);
  }
  // memalign, as glibc's, rounds an alignment up to a power of two...
  void* p = memalign(Opaque(48), 10);
  EXPECT_TRUE(Aligned(p, 64));
  free(p);
  // ...unless none is that large.
  errno = 0;
  EXPECT_EQ(memalign(Opaque(~size_t{0} - 1), 10), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(aligned_alloc(64, Opaque(~size_t{0} - 10)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocTest, VallocAndPvalloc) {
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{4096}, size_t{5000}, size_t{1} << 20}) {
    void* p = valloc(Opaque(n));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(Aligned(p, kPage));
    EXPECT_GE(malloc_usable_size(p), n);
    free(p);
    p = pvalloc(Opaque(n));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(Aligned(p, kPage));
    EXPECT_GE(malloc_usable_size(p), n == 0 ? kPage : (n + 4095) / 4096 * 4096);
    free(p);
  }
  errno = 0;
  EXPECT_EQ(pvalloc(Opaque(~size_t{0} - 10)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocTest, SizedFrees) {
  for (size_t n : {size_t{0}, size_t{5}, size_t{100}, size_t{1000},
                   size_t{5000}, size_t{300000}}) {
    free_sized(malloc(Opaque(n)), n);
    free_sized(calloc(1, Opaque(n)), n);
    void* r = realloc(malloc(10), Opaque(n + 1));
    free_sized(r, n + 1);
    for (size_t alignment :
         {size_t{8}, size_t{64}, size_t{4096}, size_t{1} << 16}) {
      free_aligned_sized(aligned_alloc(alignment, Opaque(n)), alignment, n);
    }
  }
  free_sized(nullptr, 10);
}

TEST(MallocDeathTest, SizedFreeWithTheWrongSize) {
  EXPECT_DEATH(free_sized(malloc(Opaque(100)), 300),
               "sized release with the wrong size: address 0x[0-9a-f]+, "
               "class \"malloc_112\"");
  EXPECT_DEATH(free_sized(malloc(Opaque(300000)), 100),
               "sized release with the wrong size: .*malloc_large");
  EXPECT_DEATH(::operator delete(::operator new(Opaque(64)), 16),
               "sized release with the wrong size");
}

TEST(MallocTest, OperatorNewAndDeleteEveryForm) {
  for (size_t n : {size_t{0}, size_t{24}, size_t{5000}, size_t{300000}}) {
    void* p = ::operator new(Opaque(n));
    ::operator delete(p);
    p = ::operator new[](Opaque(n));
    ::operator delete[](p);
    p = ::operator new(Opaque(n));
    ::operator delete(p, n);
    p = ::operator new[](Opaque(n));
    ::operator delete[](p, n);
    p = ::operator new(Opaque(n), std::nothrow);
    ASSERT_NE(p, nullptr);
    ::operator delete(p, std::nothrow);
    p = ::operator new[](Opaque(n), std::nothrow);
    ::operator delete[](p, std::nothrow);
    for (size_t a :
         {size_t{1}, size_t{16}, size_t{64}, size_t{8192}, 2 * kMiB}) {
      const auto al = static_cast<std::align_val_t>(a);
      p = ::operator new(Opaque(n), al);
      EXPECT_TRUE(Aligned(p, a));
      ::operator delete(p, al);
      p = ::operator new[](Opaque(n), al);
      EXPECT_TRUE(Aligned(p, a));
      ::operator delete[](p, n, al);
      p = ::operator new(Opaque(n), al);
      ::operator delete(p, n, al);
      p = ::operator new(Opaque(n), al, std::nothrow);
      ASSERT_NE(p, nullptr);
      ::operator delete(p, al, std::nothrow);
      p = ::operator new[](Opaque(n), al, std::nothrow);
      ::operator delete[](p, al, std::nothrow);
    }
  }
  struct alignas(256) Over {
    char c[300];
  };
  Over* o = new Over;
  EXPECT_TRUE(Aligned(o, 256));
  delete o;
  Over* arr = new Over[5];
  EXPECT_TRUE(Aligned(arr, 256));
  delete[] arr;
}

int handler_calls = 0;
void CountingHandler() {
  if (++handler_calls == 3) std::set_new_handler(nullptr);
}

TEST(MallocTest, OperatorNewFailure) {
  const size_t huge = Opaque(~size_t{0} - 100);
  EXPECT_THROW(Opaque(::operator new(huge)), std::bad_alloc);
  EXPECT_THROW(Opaque(::operator new[](huge)), std::bad_alloc);
  EXPECT_THROW(Opaque(::operator new (huge, std::align_val_t{64})),
               std::bad_alloc);
  EXPECT_EQ(::operator new(huge, std::nothrow), nullptr);
  EXPECT_EQ(::operator new (huge, std::align_val_t{64}, std::nothrow), nullptr);
  // The new-handler runs until it gives up.
  handler_calls = 0;
  std::set_new_handler(&CountingHandler);
  EXPECT_THROW(Opaque(::operator new(huge)), std::bad_alloc);
  EXPECT_EQ(handler_calls, 3);
  handler_calls = 0;
  std::set_new_handler(&CountingHandler);
  EXPECT_EQ(::operator new(huge, std::nothrow), nullptr);
  EXPECT_EQ(handler_calls, 3);
}

TEST(MallocDeathTest, MisuseIsReported) {
  int local = 0;
  EXPECT_DEATH(free(Opaque(&local)),
               "release of an address slabkit does not manage: address "
               "0x[0-9a-f]+, class \"malloc");
  static int global;
  EXPECT_DEATH(free(Opaque(&global)), "does not manage");
  EXPECT_DEATH(free(Opaque(reinterpret_cast<void*>(0xdeadbeef000))),
               "does not manage");
  char* p = static_cast<char*>(malloc(100));
  EXPECT_DEATH(free(Opaque(p + 8)),
               "interior pointer: address 0x[0-9a-f]+, class \"malloc_112\"");
  EXPECT_DEATH(free(Opaque(p + 1)), "interior pointer");
  EXPECT_DEATH(Opaque(realloc(Opaque(p + 16), 10)), "interior pointer");
  // malloc_usable_size releases nothing: its reports name it.
  EXPECT_DEATH(malloc_usable_size(Opaque(p + 16)),
               "slabkit: malloc_usable_size of an interior pointer: address "
               "0x[0-9a-f]+, class \"malloc_112\"");
  EXPECT_DEATH(malloc_usable_size(Opaque(&local)),
               "slabkit: malloc_usable_size of an address slabkit does not "
               "manage");
  char* big = static_cast<char*>(malloc(300000));
  EXPECT_DEATH(free(Opaque(big + 4096)),
               "interior pointer: .*class \"malloc_large\"");
  EXPECT_DEATH(
      {
        void* q = malloc(Opaque(40));
        free(q);
        free(Opaque(q));
      },
      "double free: address 0x[0-9a-f]+, class \"malloc_48\"");
  free(p);
  free(big);
}

// The hardened flavour keeps every object's state: any double free, and any
// use of a released object through the API, is caught on the spot.
TEST(MallocDeathTest, HardenedCatchesEveryDoubleFree) {
  if (!Hardened()) GTEST_SKIP() << "fast flavour: only back-to-back";
  EXPECT_DEATH(
      {
        void* a = malloc(Opaque(40));
        void* b = malloc(Opaque(40));
        free(a);
        free(b);
        free(Opaque(a));
      },
      "double free: .*class \"malloc_48\"");
  EXPECT_DEATH(
      {
        void* a = malloc(Opaque(40));
        free(a);
        free(malloc(40));
        void* r = realloc(Opaque(a), 100);
        free(r);
      },
      "use of a released object: .*class \"malloc_48\"");
}

TEST(MallocDeathTest, LargeBlocksAreGuarded) {
  char* big = static_cast<char*>(malloc(300000));
  const size_t usable = malloc_usable_size(big);
  const size_t pages = (usable + kPage - 1) / kPage * kPage;
  EXPECT_DEATH(Opaque(big)[pages] = 1, "");
  EXPECT_DEATH(Opaque(big)[-1] = 1, "");
  if (Hardened()) {
    // Within its last page, past the request: its canary, seen on free.
    // (The byte is flipped: a constant would match the canary's byte by
    // chance, which an overflow may do and the test must not.)
    EXPECT_DEATH(
        {
          Opaque(big)[usable] ^= 0x10;
          free(big);
        },
        "heap buffer overflow: .*\"malloc_large\"");
  }
  free(big);
}

// A freed large block: the fast flavour keeps it cached, the hardened one
// keeps it in quarantine (inaccessible), so a second free or a realloc is
// named for what it is. malloc_trim empties both: the window is unmapped.
TEST(MallocDeathTest, FreedLargeBlocks) {
  char* big = static_cast<char*>(malloc(Opaque(3 << 20)));
  ASSERT_NE(big, nullptr);
  free(big);
  EXPECT_DEATH(free(Opaque(big)), "double free: .*class \"malloc_large\"");
  EXPECT_DEATH(free(realloc(Opaque(big), 100)),
               "use of a released object: .*class \"malloc_large\"");
  EXPECT_DEATH(malloc_usable_size(Opaque(big)), "use of a released object");
  if (Hardened()) {
    EXPECT_DEATH(Opaque(big)[0] = 1, "");
  } else {
    // Reused by the next block of its size.
    char* again = static_cast<char*>(malloc(Opaque(3 << 20)));
    EXPECT_EQ(again, big);
    free(again);
  }
  slabkit_counters before;
  ASSERT_EQ(slabkit_malloc_counters(&before), 0);
  malloc_trim(0);
  slabkit_counters after;
  ASSERT_EQ(slabkit_malloc_counters(&after), 0);
  EXPECT_GE(before.reserved_bytes - after.reserved_bytes, size_t{3} << 20);
}

TEST(MallocTest, StatsReportHasARowPerSizeClass) {
  char path[] = "/tmp/slabkit_malloc_statsXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  void* p = malloc(Opaque(300000));
  ASSERT_EQ(slabkit_malloc_stats_report(fd, 1), 0);
  ASSERT_EQ(slabkit_malloc_stats_report(fd, 2), 0);
  EXPECT_EQ(slabkit_malloc_stats_report(fd, 7), EINVAL);
  free(p);
  std::string text(1 << 20, '\0');
  const ssize_t n = pread(fd, text.data(), text.size(), 0);
  close(fd);
  unlink(path);
  ASSERT_GT(n, 0);
  text.resize(n);
  for (const char* row :
       {"\"name\":\"malloc_8\"", "\"name\":\"malloc_48\"",
        "\"name\":\"malloc_262144\"", "\"name\":\"malloc_large\""}) {
    EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
  }
  // Format 2, after the JSON: Prometheus' text format, a live large block.
  EXPECT_TRUE(std::regex_search(
      text,
      std::regex("\nslabkit_class_live_objects\\{allocator=\"malloc("
                 "_hardened)?\",class=\"malloc_large\",id=\"[0-9]+\"\\} 1\n")))
      << text;
  text.resize(text.find("# HELP "));
  // The mapper rows add up to the totals, large blocks included, and
  // "classes" counts every row.
  const size_t mappers_at = text.find("\"mappers\":[");
  const size_t classes_at = text.find("\"class_stats\":[");
  ASSERT_NE(mappers_at, std::string::npos);
  ASSERT_NE(classes_at, std::string::npos);
  auto sum = [](const std::string& part, const char* field) {
    const std::regex number(std::string("\"") + field + "\":([0-9]+)");
    size_t total = 0;
    for (std::sregex_iterator it(part.begin(), part.end(), number), end;
         it != end; ++it) {
      total += std::stoull((*it)[1]);
    }
    return total;
  };
  const std::string global = text.substr(0, mappers_at);
  const std::string mappers = text.substr(mappers_at, classes_at - mappers_at);
  const std::string classes = text.substr(classes_at);
  EXPECT_EQ(sum(mappers, "reserved_bytes"), sum(global, "reserved_bytes"))
      << text;
  EXPECT_EQ(sum(mappers, "committed_bytes"), sum(global, "committed_bytes"))
      << text;
  size_t rows = 0;
  for (size_t at = classes.find("{\"id\":"); at != std::string::npos;
       at = classes.find("{\"id\":", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(sum(global, "classes"), rows) << text;
  EXPECT_EQ(malloc_trim(0) >= 0, true);
}

// fork() while other threads allocate and free: the child can allocate,
// from every size, and exit cleanly.
// A signal handler reads malloc's counters (async-signal-safe); between two
// reads the program allocated small and large blocks, which they count
// exactly.
struct slabkit_counters signal_counters;
volatile sig_atomic_t signal_result = -1;
void ReadMallocCountersOnSignal(int) {
  signal_result = slabkit_malloc_counters(&signal_counters);
}

slabkit_counters CountersFromASignalHandler() {
  signal_result = -1;
  EXPECT_EQ(raise(SIGUSR2), 0);
  EXPECT_EQ(signal_result, 0);
  return signal_counters;
}

TEST(MallocTest, CountersFromASignalHandler) {
  struct sigaction action = {};
  struct sigaction previous;
  action.sa_handler = &ReadMallocCountersOnSignal;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &action, &previous), 0);
  const slabkit_counters before = CountersFromASignalHandler();
  void* blocks[101];
  size_t bytes = 0;
  // 1023 bytes: the 1024 class in both flavours (the hardened one's canary
  // takes a byte), whose objects the counters count in full.
  for (int i = 0; i < 100; ++i) {
    blocks[i] = malloc(Opaque(1023));
    bytes += 1024;
  }
  blocks[100] = malloc(Opaque(3 * kMiB));
  bytes += malloc_usable_size(blocks[100]);
  const slabkit_counters during = CountersFromASignalHandler();
  for (void* p : blocks) free(p);
  const slabkit_counters after = CountersFromASignalHandler();
  ASSERT_EQ(sigaction(SIGUSR2, &previous, nullptr), 0);

  EXPECT_EQ(during.allocations - before.allocations, 101u);
  EXPECT_EQ(during.releases, before.releases);
  EXPECT_EQ(during.live - before.live, 101u);
  EXPECT_EQ(during.in_use_bytes - before.in_use_bytes, bytes);
  EXPECT_GE(during.committed_bytes, during.in_use_bytes);
  EXPECT_GE(during.reserved_bytes, during.committed_bytes);
  EXPECT_EQ(after.releases - during.releases, 101u);
  EXPECT_EQ(after.live, before.live);
  EXPECT_EQ(after.in_use_bytes, before.in_use_bytes);
  EXPECT_EQ(slabkit_malloc_counters(nullptr), EINVAL);
}

TEST(MallocTest, ForkWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&stop, t] {
      std::vector<void*> held;
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        held.push_back(
            malloc((i * 37 + t) % 70000 + (i % 97 == 0 ? 400000 : 0)));
        if (held.size() > 64) {
          for (void* p : held) free(p);
          held.clear();
        }
      }
      for (void* p : held) free(p);
    });
  }
  for (int round = 0; round < 40; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(20);  // a child deadlocked on an allocator lock dies, not hangs
      std::vector<void*> v;
      for (size_t n = 1; n < 600000; n = n * 3 / 2 + 1) v.push_back(malloc(n));
      for (void* p : v) free(p);
      std::thread child_thread([] { free(malloc(100)); });
      child_thread.join();
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "round " << round;
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
  stop = true;
  for (auto& t : threads) t.join();
}

TEST(MallocTest, ThreadsThatNeverAllocateOrExitWithFullCaches) {
  for (int i = 0; i < 50; ++i) {
    pthread_t t;
    ASSERT_EQ(pthread_create(
                  &t, nullptr, [](void*) -> void* { return nullptr; }, nullptr),
              0);
    pthread_join(t, nullptr);
  }
  std::vector<void*> handed(2000);
  std::thread filler([&handed] {
    for (void*& p : handed) p = malloc(64);
    // Frees fill this thread's magazines; it exits holding them.
    for (size_t i = 0; i < handed.size() / 2; ++i) free(handed[i]);
  });
  filler.join();
  for (size_t i = handed.size() / 2; i < handed.size(); ++i) free(handed[i]);
}

}  // namespace

// malloc as a whole under failing memory: every mapper call a malloc
// scenario makes (building the allocator, slab chunks, spans and guards,
// large blocks and their record table, in-place realloc, the large-block
// cache, sampled guarded slots, malloc_trim) is failed, one at a time, and
// the program must see only null with ENOMEM, keep every block it holds
// intact, and find malloc working once the mapper heals. Then the same
// under RLIMIT_AS, with the real mapper.
//
// Malloc<Config> is process-wide state that cannot be rebuilt, so each run
// is a forked child that builds it from nothing; the parent never uses it.
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "allocator/allocator.h"
#include "gtest/gtest.h"
#include "guard/layout.h"
#include "guard/sampled.h"
#include "malloc/malloc.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace malloc {
namespace {

using FaultMapper = FaultInjectingMapper<MmapMapper>;

FaultMapper& Faulty() {
  static MmapMapper inner;
  static FaultMapper mapper(&inner);
  return mapper;
}

// The two flavours' compositions over the fault-injecting mapper.
template <Mitigations kM>
struct FaultConfig : Compose<FaultMapper, kM> {
  static FaultMapper& MapperInstance() { return Faulty(); }
};

// What a child tells its parent, in memory they share.
struct Outcome {
  uint64_t calls[kMapperOpCount];  // mapper calls made, by op
  uint64_t injected;               // failures the mapper returned
  uint64_t surfaced;               // null results the program saw
  char error[512];                 // why the child failed, if it did
};

Outcome* SharedOutcome() {
  void* p = mmap(nullptr, sizeof(Outcome), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<Outcome*>(p);
}

// Ends the child: 0 when error is empty.
[[noreturn]] void Fail(Outcome* out, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(out->error, sizeof(out->error), format, args);
  va_end(args);
  _exit(1);
}

// The blocks a scenario holds, each filled with its own byte.
struct Held {
  char* p;
  size_t n;
  char fill;
};

template <typename M>
class Scenario {
 public:
  explicit Scenario(Outcome* out) : out_(out) {}

  // A result of malloc and friends: a block of `n` bytes aligned to
  // `alignment`, which must overlap no held block, or null with ENOMEM.
  char* Take(void* result, size_t n, size_t alignment, const char* what) {
    if (result == nullptr) {
      if (errno != ENOMEM)
        Fail(out_, "%s(%zu): null with errno %d", what, n, errno);
      out_->surfaced++;
      return nullptr;
    }
    char* p = static_cast<char*>(result);
    if (reinterpret_cast<uintptr_t>(p) % alignment != 0) {
      Fail(out_, "%s(%zu): %p is not aligned to %zu", what, n, result,
           alignment);
    }
    for (const Held& h : held_) {
      if (p < h.p + h.n && h.p < p + n) {
        Fail(out_, "%s(%zu): %p overlaps the held block %p", what, n, result,
             h.p);
      }
    }
    const char fill = static_cast<char>(0x11 + held_.size() % 200);
    memset(p, fill, n);
    held_.push_back({p, n, fill});
    return p;
  }

  // Every held block still holds its bytes.
  void Check(const char* when) {
    for (const Held& h : held_) {
      for (size_t i = 0; i < h.n; i += 512) {
        if (h.p[i] != h.fill || h.p[h.n - 1] != h.fill) {
          Fail(out_, "%s: block %p (%zu bytes) changed", when, h.p, h.n);
        }
      }
    }
  }

  void FreeEvery(size_t step) {
    std::vector<Held> kept;
    for (size_t i = 0; i < held_.size(); ++i) {
      if (i % step == 0) {
        M::Free(held_[i].p);
      } else {
        kept.push_back(held_[i]);
      }
    }
    held_ = kept;
  }

  // The sequence every injection replays: what makes each kind of call.
  void Run() {
    static constexpr size_t kSmall[] = {8, 24, 100, 1000, 5000, 40000, 200000};
    for (int round = 0; round < 30; ++round) {
      for (size_t n : kSmall) {
        errno = 0;
        Take(M::Allocate(n), n, 8, "malloc");
      }
    }
    static constexpr size_t kLarge[] = {300 << 10, 1 << 20, 5 << 20};
    for (size_t n : kLarge) {
      errno = 0;
      Take(M::Allocate(n), n, 4096, "malloc");
    }
    errno = 0;
    Take(M::AlignedAllocate(64 << 10, 100 << 10), 100 << 10, 64 << 10,
         "aligned_alloc");
    errno = 0;
    if (char* z = static_cast<char*>(M::Calloc(1, 2 << 20))) {
      for (size_t i = 0; i < (2 << 20); i += 4096) {
        if (z[i] != 0) Fail(out_, "calloc: byte %zu is not zero", i);
      }
      Take(z, 2 << 20, 4096, "calloc");
    } else {
      Take(nullptr, 2 << 20, 4096, "calloc");
    }
    Check("after allocating");
    ReallocLarge();
    // Frees leave freed spans and, in the fast flavour, cached large
    // blocks; allocating again reuses them (the cache may commit or
    // decommit part of a window).
    FreeEvery(2);
    for (size_t n : {size_t{1} << 20, size_t{600} << 10, size_t{5} << 20}) {
      errno = 0;
      Take(M::Allocate(n), n, 4096, "malloc after free");
    }
    FreeEvery(3);
    M::ReleaseIdleMemory();  // decommits spans, unmaps cached blocks
    for (size_t n : kSmall) {
      errno = 0;
      Take(M::Allocate(n), n, 8, "malloc after trim");
    }
    Check("after trim");
  }

  // Grows a large block in place (commit), then shrinks it (decommit and
  // protect); a failed realloc must leave the block as it was.
  void ReallocLarge() {
    errno = 0;
    char* p = Take(M::Allocate(1 << 20), 1 << 20, 4096, "malloc");
    if (p == nullptr) return;
    const char fill = held_.back().fill;
    held_.pop_back();
    size_t filled = 1 << 20;
    for (size_t n : {size_t{3} << 20, size_t{200} << 10, size_t{700} << 10}) {
      const size_t before = M::UsableSize(p);
      errno = 0;
      void* q = M::Realloc(p, n);
      if (q == nullptr) {
        if (errno != ENOMEM) Fail(out_, "realloc: null with errno %d", errno);
        out_->surfaced++;
        if (M::UsableSize(p) != before) Fail(out_, "realloc: failure resized");
        continue;
      }
      p = static_cast<char*>(q);
      for (size_t i = 0; i < std::min(filled, n); i += 512) {
        if (p[i] != fill) Fail(out_, "realloc to %zu lost byte %zu", n, i);
      }
      memset(p, fill, n);
      filled = n;
    }
    held_.push_back({p, filled, fill});
  }

  // With the mapper healed: everything held frees cleanly, malloc counts
  // nothing live (no block lost or counted twice), and allocates again.
  void FreeAllAndRecover(const ClassCounters& before) {
    Faulty().Heal();
    Check("before freeing");
    FreeEvery(1);
    ClassCounters after;
    if (!M::ReadCounters(&after)) Fail(out_, "counters unreadable");
    if (after.live != before.live) {
      Fail(out_, "%llu blocks live after freeing all",
           static_cast<unsigned long long>(after.live - before.live));
    }
    for (size_t n :
         {size_t{16}, size_t{4000}, size_t{100000}, size_t{3} << 20}) {
      void* p = M::Allocate(n);
      if (p == nullptr)
        Fail(out_, "malloc(%zu) fails after the mapper healed", n);
      memset(p, 1, n);
      M::Free(p);
    }
  }

 private:
  Outcome* const out_;
  std::vector<Held> held_;
};

// In a child: fail the nth call of `op` (none when nth is 0), run the
// scenario, and recover. The hardened flavour also samples often, so that
// guarded slots are made, released and their pages decommitted.
template <typename M>
[[noreturn]] void RunChild(Outcome* out, MapperOp op, uint64_t nth) {
  if (M::Allocator::kSamples) guard::SetSampleInterval(64 << 10);
  if (nth > 0) Faulty().FailNth(op, nth);
  Scenario<M> scenario(out);
  scenario.Run();
  // The calls to fail are the scenario's, not the recovery's.
  for (int i = 0; i < kMapperOpCount; ++i) {
    out->calls[i] = Faulty().calls(static_cast<MapperOp>(i));
    out->injected += Faulty().failures(static_cast<MapperOp>(i));
  }
  ClassCounters none;  // live is counted from the first build
  scenario.FreeAllAndRecover(none);
  _exit(0);
}

template <typename M>
bool RunInChild(Outcome* out, MapperOp op, uint64_t nth) {
  memset(out, 0, sizeof(*out));
  const pid_t pid = fork();
  if (pid == 0) RunChild<M>(out, op, nth);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  ADD_FAILURE() << "failing call " << nth << " of op " << static_cast<int>(op)
                << ": " << (WIFSIGNALED(status) ? "killed by signal " : "exit ")
                << (WIFSIGNALED(status) ? WTERMSIG(status)
                                        : WEXITSTATUS(status))
                << ": " << out->error;
  return false;
}

template <typename M>
class MallocFaultTest : public ::testing::Test {};
using Flavours = ::testing::Types<Malloc<FaultConfig<Mitigations::kNone>>,
                                  Malloc<FaultConfig<kHardenedMitigations>>>;
TYPED_TEST_SUITE(MallocFaultTest, Flavours);

TYPED_TEST(MallocFaultTest, EveryMapperCallFailedOnce) {
  using M = TypeParam;
  Outcome* out = SharedOutcome();
  ASSERT_NE(out, nullptr);
  ASSERT_TRUE(RunInChild<M>(out, MapperOp::kReserve, 0));
  EXPECT_EQ(out->surfaced, 0u);
  uint64_t calls[kMapperOpCount];
  memcpy(calls, out->calls, sizeof(calls));
  static constexpr const char* kNames[] = {"Reserve", "Commit", "Decommit",
                                           "Protect", "Release"};
  for (int i = 0; i < kMapperOpCount; ++i) {
    const MapperOp op = static_cast<MapperOp>(i);
    uint64_t surfaced = 0;
    int failed_runs = 0;
    for (uint64_t nth = 1; nth <= calls[i] && failed_runs < 3; ++nth) {
      if (!RunInChild<M>(out, op, nth)) {
        ++failed_runs;
        continue;
      }
      EXPECT_EQ(out->injected, 1u) << kNames[i] << " call " << nth;
      surfaced += out->surfaced;
    }
    std::printf("%s: %llu calls, each failed once; %llu surfaced as ENOMEM\n",
                kNames[i], static_cast<unsigned long long>(calls[i]),
                static_cast<unsigned long long>(surfaced));
    EXPECT_GT(calls[i], 0u) << kNames[i] << ": the scenario never calls it";
    // A failed reservation or commit is a failed allocation; the others
    // are absorbed (the memory stays committed, or the window mapped).
    if (op == MapperOp::kReserve || op == MapperOp::kCommit) {
      EXPECT_GT(surfaced, 0u) << kNames[i];
    }
  }
}

// Address-space exhaustion with the real mapper: malloc returns null with
// ENOMEM, small and large, keeps what it handed out, and recovers when
// memory is freed and when the limit is raised again.
template <typename M>
[[noreturn]] void ExhaustAddressSpace() {
  std::ifstream status("/proc/self/status");
  long vm_kib = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmSize:", 0) == 0) vm_kib = std::stol(line.substr(7));
  }
  rlimit old;
  if (getrlimit(RLIMIT_AS, &old) != 0) _exit(10);
  const rlim_t bytes = static_cast<rlim_t>(vm_kib + (256 << 10)) << 10;
  const rlimit limit{bytes, old.rlim_max};
  std::vector<char*> held;
  held.reserve(1 << 20);
  if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(11);
  // One large block and 50 small ones a round, until a round gets nothing.
  std::vector<size_t> sizes;
  sizes.reserve(1 << 20);
  size_t large = 0;
  size_t small = 0;
  for (bool got = true; got;) {
    got = false;
    for (int i = 0; i <= 50; ++i) {
      const size_t n = i == 0 ? size_t{1} << 20 : 3000;
      errno = 0;
      char* p = static_cast<char*>(M::Allocate(n));
      if (p == nullptr) {
        if (errno != ENOMEM) _exit(13);
        continue;
      }
      got = true;
      p[0] = p[n - 1] = static_cast<char>(held.size());
      held.push_back(p);
      sizes.push_back(n);
      ++(i == 0 ? large : small);
      if (held.size() == held.capacity()) _exit(12);  // the limit did not bite
    }
  }
  if (large < 10 || small < 100) _exit(14);
  errno = 0;
  if (M::Calloc(1, 64 << 20) != nullptr || errno != ENOMEM) _exit(15);
  for (size_t i = 0; i < held.size(); ++i) {
    const size_t n = sizes[i];
    if (held[i][0] != static_cast<char>(i) ||
        held[i][n - 1] != static_cast<char>(i)) {
      _exit(16);
    }
  }
  // Freed memory is found again, under the same limit.
  for (size_t i = 0; i < held.size(); i += 2) M::Free(held[i]);
  for (size_t i = 0; i < large / 4; ++i) {
    if (M::Allocate(1 << 20) == nullptr) _exit(17);
  }
  for (size_t i = 0; i < small / 4; ++i) {
    if (M::Allocate(3000) == nullptr) _exit(18);
  }
  if (setrlimit(RLIMIT_AS, &old) != 0) _exit(19);
  if (M::Allocate(64 << 20) == nullptr) _exit(20);
  fprintf(stderr, "ENOMEM after %zu large and %zu small blocks, recovered\n",
          large, small);
  _exit(0);
}

template <typename M>
class MallocLimitTest : public ::testing::Test {};
using RealFlavours =
    ::testing::Types<Malloc<MallocConfig<Mitigations::kNone>>,
                     Malloc<MallocConfig<kHardenedMitigations>>>;
TYPED_TEST_SUITE(MallocLimitTest, RealFlavours);

TYPED_TEST(MallocLimitTest, AddressSpaceExhaustionIsEnomem) {
  EXPECT_EXIT(ExhaustAddressSpace<TypeParam>(), ::testing::ExitedWithCode(0),
              "ENOMEM after [0-9]+ large and [0-9]+ small blocks, recovered");
}

}  // namespace
}  // namespace malloc
}  // namespace slabkit

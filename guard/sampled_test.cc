#include "guard/sampled.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/mmap_mapper.h"
#include "slab/page_map.h"

namespace slabkit {
namespace guard {
namespace {

class GuardedPoolTest : public testing::Test {
 protected:
  GuardedPool* MakePool(size_t size, size_t alignment = 16) {
    id_ = slab::NewClassId();
    GuardedPool* pool = GuardedPool::Create(
        {id_, "sampled", size, alignment, MapperRef(&mapper_)}, &arena_);
    EXPECT_NE(pool, nullptr);
    return pool;
  }
  MmapMapper mapper_;
  slab::MetadataArena arena_{MapperRef(&mapper_)};
  uint32_t id_ = 0;
};

TEST_F(GuardedPoolTest, ObjectsEndAgainstTheirGuardPage) {
  GuardedPool* pool = MakePool(40, 8);
  auto* p = static_cast<char*>(pool->Allocate());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p + 40) % mapper_.page_size(), 0u);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(p[i], 0) << "zero-filled";
  memset(p, 1, 40);
  EXPECT_EQ(slab::LookupClass(p), id_ | slab::kGuardedChunk);
  EXPECT_EQ(GuardedPool::Of(p), pool);
  EXPECT_EQ(pool->live(), 1u);
  EXPECT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  EXPECT_EQ(pool->live(), 0u);
}

TEST_F(GuardedPoolTest, MisusedReleasesChangeNothing) {
  GuardedPool* pool = MakePool(64);
  auto* p = static_cast<char*>(pool->Allocate());
  EXPECT_EQ(pool->Release(p + 8), GuardedPool::ReleaseResult::kInterior);
  EXPECT_EQ(pool->live(), 1u);
  EXPECT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  EXPECT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kDoubleFree);
}

TEST_F(GuardedPoolTest, SlotsComeBackAfterQuarantineAndRunOutCleanly) {
  GuardedPool* pool = MakePool(100);
  std::vector<void*> live;
  while (void* p = pool->Allocate()) live.push_back(p);
  EXPECT_EQ(live.size(), pool->slots()) << "then nullptr: allocate normally";
  EXPECT_EQ(std::set<void*>(live.begin(), live.end()).size(), live.size());
  for (void* p : live)
    ASSERT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  // Released slots go through quarantine and are handed out again.
  for (size_t i = 0; i < pool->slots(); ++i)
    ASSERT_NE(pool->Allocate(), nullptr);
}

// Whether the page holding `p` is resident (mincore).
bool Resident(const void* p) {
  const uintptr_t page = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{4095};
  unsigned char vec = 0;
  EXPECT_EQ(mincore(reinterpret_cast<void*>(page), 4096, &vec), 0);
  return (vec & 1) != 0;
}

// A pool that protects released samples (the hardened flavour's) keeps a
// one-page slot's page, protected, for up to a quarantine's worth of slots,
// and gives the rest back; a use after release faults either way, and the
// slots are handed out again zeroed.
TEST_F(GuardedPoolTest, ProtectedOnePageSlotsKeepTheirPageUpToAQuarantine) {
  id_ = slab::NewClassId();
  GuardedPool* pool =
      GuardedPool::Create({id_, "protected", 100, 16, MapperRef(&mapper_),
                           /*protect_released=*/true},
                          &arena_);
  ASSERT_NE(pool, nullptr);
  constexpr size_t kQuarantine = 64;  // min(64, slots / 2)
  std::vector<char*> objects;
  for (size_t i = 0; i < kQuarantine + 10; ++i) {
    objects.push_back(static_cast<char*>(pool->Allocate()));
    ASSERT_NE(objects.back(), nullptr);
    memset(objects.back(), 0xab, 100);
  }
  for (char* p : objects)
    ASSERT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  for (size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(Resident(objects[i]), i < kQuarantine) << "object " << i;
  }
  EXPECT_DEATH((void)*static_cast<volatile char*>(objects[0]),
               "use after free");
  EXPECT_DEATH((void)*static_cast<volatile char*>(objects.back()),
               "use after free");
  std::set<char*> released(objects.begin(), objects.end());
  size_t reused = 0;
  while (char* p = static_cast<char*>(pool->Allocate())) {
    if (released.count(p) == 0) continue;
    ++reused;
    for (int i = 0; i < 100; ++i) ASSERT_EQ(p[i], 0) << "a last owner's byte";
  }
  EXPECT_EQ(reused, objects.size());
}

// A class's pools, newest first: a free slot in an older pool is taken
// before a newer pool's quarantine is cut short.
TEST_F(GuardedPoolTest, PoolListTakesAFreeSlotBeforeCuttingAQuarantine) {
  id_ = slab::NewClassId();
  const SampledClass cls{id_,
                         "listed",
                         100,
                         16,
                         MapperRef(&mapper_),
                         /*protect_released=*/true};
  GuardedPool* older = GuardedPool::Create(cls, &arena_);
  GuardedPool* newer = GuardedPool::Create(cls, &arena_);
  ASSERT_NE(older, nullptr);
  ASSERT_NE(newer, nullptr);
  GuardedPoolList list;
  list.Add(older);
  list.Add(newer);
  std::vector<void*> in_older, in_newer;
  while (void* p = list.Allocate(0)) {
    (GuardedPool::Of(p) == older ? in_older : in_newer).push_back(p);
  }
  ASSERT_EQ(in_older.size(), older->slots());
  ASSERT_EQ(in_newer.size(), newer->slots());
  // The newer pool: one slot in quarantine, none free.
  ASSERT_EQ(newer->Release(in_newer[0]), GuardedPool::ReleaseResult::kOk);
  // The older: a quarantine's worth and one more released, so that the
  // first leaves quarantine and is free.
  constexpr size_t kQuarantine = 64;  // min(64, slots / 2)
  for (size_t i = 0; i <= kQuarantine; ++i) {
    ASSERT_EQ(older->Release(in_older[i]), GuardedPool::ReleaseResult::kOk);
  }
  EXPECT_EQ(list.Allocate(0), in_older[0]) << "the free slot";
  // Then only quarantines are left: the newest pool's is cut short.
  EXPECT_EQ(list.Allocate(0), in_newer[0]);
}

// A page no access may touch: a fault outside every pool.
volatile int* InaccessiblePage() {
  void* page =
      mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return static_cast<volatile int*>(page);
}

// What a SIGSEGV does without slabkit: the default action, or, under ASan
// and TSan, whose handlers came first, their report and exit.
bool DiedOfSegv(int status) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#else
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
#endif
}

// The fault handler a guarded pool installs handles its own slots' faults
// only; every other SIGSEGV has the effect it would have without slabkit.
TEST_F(GuardedPoolTest, OtherSegvsKeepTheirEffect) {
  MakePool(32);
  // Sent by a process (kill, raise): the default action, as before.
  EXPECT_EXIT(raise(SIGSEGV), DiedOfSegv, "");
  // A fault outside every pool: the same.
  volatile int* page = InaccessiblePage();
  EXPECT_EXIT(*page = 1, DiedOfSegv, "");
}

void ProgramsOwnHandler(int sig, siginfo_t* info, void*) {
  const char text[] = "the program's handler\n";
  (void)!write(STDERR_FILENO, text, sizeof(text) - 1);
  _exit(info->si_code > 0 ? 3 : 4);
}

// A handler the program installed before slabkit's still gets the signals
// slabkit's does not handle, faults and sent signals alike.
TEST(GuardFaultHandlerTest, ChainsToTheProgramsHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process
  auto install_then_pool = [] {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = &ProgramsOwnHandler;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &action, nullptr);
    static MmapMapper mapper;
    static slab::MetadataArena arena{MapperRef(&mapper)};
    GuardedPool::Create(
        {slab::NewClassId(), "chained", 32, 16, MapperRef(&mapper)}, &arena);
  };
  EXPECT_EXIT(
      {
        install_then_pool();
        *InaccessiblePage() = 1;
      },
      ::testing::ExitedWithCode(3), "the program's handler");
  EXPECT_EXIT(
      {
        install_then_pool();
        raise(SIGSEGV);
      },
      ::testing::ExitedWithCode(4), "the program's handler");
}

TEST(SamplerTest, AboutOneSamplePerIntervalOfBytes) {
  SetSampleInterval(3200);  // 100 allocations of 32 bytes, on average
  int sampled = 0;
  for (int i = 0; i < 100000; ++i) {
    if (TakeByteSample(32)) ++sampled;
  }
  EXPECT_GT(sampled, 800);
  EXPECT_LT(sampled, 1200);
  // Larger objects are sampled in proportion to their bytes.
  sampled = 0;
  for (int i = 0; i < 100000; ++i) {
    if (TakeByteSample(320)) ++sampled;
  }
  EXPECT_GT(sampled, 8000);
  EXPECT_LT(sampled, 12000);
  SetSampleInterval(0);
  sampled = 0;
  for (int i = 0; i < 100000; ++i) {
    if (TakeByteSample(32)) ++sampled;
  }
  EXPECT_EQ(sampled, 0);
  SetSampleInterval(kDefaultSampleInterval);
}

}  // namespace
}  // namespace guard
}  // namespace slabkit

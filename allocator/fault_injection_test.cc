// Fails every mapper call of a scenario, one at a time, and checks what the
// program sees: an allocation either succeeds or returns null with ENOMEM;
// no object is handed out twice or lost; and once the mapper heals, the
// allocator works on. For each composition: no cache, magazines, hardened.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "allocator/allocator.h"
#include "gtest/gtest.h"
#include "guard/layout.h"
#include "guard/sampled.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/mmap_mapper.h"
#include "testing/keep.h"

namespace slabkit {
namespace {

using FaultMapper = FaultInjectingMapper<MmapMapper>;

template <Mitigations kM, template <typename> class Cache>
struct Flavour {
  using Allocator =
      SlabAllocator<Compose<FaultMapper, kM, SlabTransferCounts, Cache>>;
};
using Flavours = testing::Types<Flavour<Mitigations::kNone, DirectCache>,
                                Flavour<Mitigations::kNone, MagazineCache>,
                                Flavour<kHardenedMitigations, MagazineCache>>;

template <typename F>
class FaultInjectionTest : public testing::Test {
 protected:
  void SetUp() override { guard::SetSampleInterval(0); }
  void TearDown() override {
    guard::SetSampleInterval(guard::kDefaultSampleInterval);
  }
};
TYPED_TEST_SUITE(FaultInjectionTest, Flavours);

// Two classes, enough objects to need several spans and chunks, releases
// between: every kind of mapper call the allocator makes.
struct Scenario {
  static constexpr int kObjects = 3000;
  static constexpr size_t kSizes[2] = {2000, 100};
};

TYPED_TEST(FaultInjectionTest, EveryMapperCallFailedOnce) {
  const MapperOp kOps[] = {MapperOp::kReserve, MapperOp::kCommit,
                           MapperOp::kProtect};
  for (MapperOp op : kOps) {
    // Count the scenario's calls of `op` on a clean run, then fail each.
    uint64_t calls = 0;
    int surfaced = 0;  // injected failures the program saw as ENOMEM
    for (uint64_t nth = 0; nth == 0 || nth <= calls; ++nth) {
      SCOPED_TRACE(testing::Message()
                   << "op " << static_cast<int>(op) << " call " << nth);
      // Classes outlive the run: what they use stays (reachable) for good.
      auto* mapper = conformance::Keep(
          new FaultMapper(conformance::Keep(new MmapMapper())));
      auto* allocator =
          conformance::Keep(new typename TypeParam::Allocator(mapper));
      ClassId classes[2];
      for (int k = 0; k < 2; ++k) {
        absl::StatusOr<ClassId> id =
            allocator->Register({"faulty", Scenario::kSizes[k]});
        ASSERT_TRUE(id.ok());
        classes[k] = *id;
      }
      if (nth > 0) mapper->FailNth(op, nth);
      std::set<void*> live;
      std::vector<std::pair<int, void*>> held;
      int failures = 0;
      for (int i = 0; i < Scenario::kObjects; ++i) {
        const int k = i % 2;
        errno = 0;
        void* p = allocator->Allocate(classes[k]);
        if (p == nullptr) {
          ASSERT_EQ(errno, ENOMEM);
          ++failures;
          continue;
        }
        ASSERT_TRUE(live.insert(p).second) << "handed out twice";
        memset(p, k + 1, Scenario::kSizes[k]);
        held.push_back({k, p});
        if (i % 3 == 0) {  // churn
          auto [rk, rp] = held[held.size() / 2];
          live.erase(rp);
          allocator->Release(classes[rk], rp);
          held[held.size() / 2] = held.back();
          held.pop_back();
        }
      }
      if (nth == 0) {
        calls = mapper->calls(op);
        ASSERT_EQ(failures, 0) << "a clean run fails nothing";
        ASSERT_GT(calls, 0u);
      } else {
        EXPECT_LE(failures, 1) << "one failed call fails one allocation";
        surfaced += failures;
      }
      // Healed: everything held is intact, and allocation goes on.
      mapper->Heal();
      for (auto [k, p] : held) {
        const unsigned char* b = static_cast<unsigned char*>(p);
        ASSERT_EQ(b[0], k + 1);
        ASSERT_EQ(b[Scenario::kSizes[k] - 1], k + 1);
      }
      for (int k = 0; k < 2; ++k) {
        void* p = allocator->Allocate(classes[k]);
        ASSERT_NE(p, nullptr);
        ASSERT_TRUE(live.insert(p).second);
        allocator->Release(classes[k], p);
        live.erase(p);
      }
      for (auto [k, p] : held) allocator->Release(classes[k], p);
      allocator->ReleaseIdleMemory();
      for (ClassId cls : classes) {
        EXPECT_EQ(allocator->GetStats(cls)->live, 0u) << "nothing lost";
      }
    }
    EXPECT_GT(surfaced, 0) << "failed calls of op " << static_cast<int>(op)
                           << " reached the program";
  }
}

// Decay passes whose decommits fail (every one, then the second): what
// the program holds stays intact, every object comes back once, and a
// healed pass gives the memory back.
TYPED_TEST(FaultInjectionTest, DecayWithFailingDecommitsLosesNothing) {
  auto* mapper =
      conformance::Keep(new FaultMapper(conformance::Keep(new MmapMapper())));
  auto* allocator =
      conformance::Keep(new typename TypeParam::Allocator(mapper));
  absl::StatusOr<ClassId> cls = allocator->Register({"decaying", 100});
  ASSERT_TRUE(cls.ok());
  std::vector<void*> all;
  for (int i = 0; i < Scenario::kObjects; ++i) {
    void* p = allocator->Allocate(*cls);
    ASSERT_NE(p, nullptr);
    memset(p, 0x5a, 100);
    all.push_back(p);
  }
  // Keep the first tenth; the rest goes back, and decays.
  std::vector<void*> kept;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < all.size() / 10) {
      kept.push_back(all[i]);
    } else {
      allocator->Release(*cls, all[i]);
    }
  }
  FlushThreadCache();
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    if (round == 0) mapper->FailAll(MapperOp::kDecommit, true);
    if (round == 1) {
      mapper->Heal();
      mapper->FailNth(MapperOp::kDecommit, 2);
    }
    if (round == 2) mapper->Heal();
    // Depot to slab, then spans aged and decommitted.
    for (int pass = 0; pass < 4; ++pass) allocator->Decay(/*aged=*/true);
    const ClassStats s = *allocator->GetStats(*cls);
    if (round == 0) {
      EXPECT_EQ(s.returned_bytes, 0u);
    } else {
      EXPECT_GT(s.returned_bytes, 0u);
    }
    for (void* p : kept) ASSERT_EQ(static_cast<unsigned char*>(p)[99], 0x5a);
    EXPECT_EQ(allocator->GetStats(*cls)->live, kept.size());
    std::set<void*> again;
    for (size_t i = 0; i < all.size() - kept.size(); ++i) {
      void* p = allocator->Allocate(*cls);
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(again.insert(p).second) << "handed out twice";
      for (void* k : kept) ASSERT_NE(p, k) << "a live object handed out";
    }
    for (void* p : again) allocator->Release(*cls, p);
    FlushThreadCache();
  }
  allocator->Decay(/*aged=*/false);
  const ClassStats s = *allocator->GetStats(*cls);
  EXPECT_GT(s.returned_bytes, 0u);
  EXPECT_EQ(s.idle_bytes, 0u);
  EXPECT_EQ(s.live, kept.size());
}

}  // namespace
}  // namespace slabkit

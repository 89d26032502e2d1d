#include "allocator/allocator.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "guard/canary.h"
#include "guard/layout.h"
#include "guard/sampled.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/fixed_region_mapper.h"
#include "mapper/mmap_mapper.h"
#include "testing/keep.h"
#include "testing/libc_heap.h"

namespace slabkit {
namespace {

using FaultMapper = FaultInjectingMapper<MmapMapper>;

// The compositions every test runs over, unless it says otherwise.
template <Mitigations kM, template <typename> class C>
struct Flavour {
  static constexpr Mitigations kMitigations = kM;
  template <typename Config>
  using Cache = C<Config>;
};
using Direct = Flavour<Mitigations::kNone, DirectCache>;       // no cache
using Magazines = Flavour<Mitigations::kNone, MagazineCache>;  // the fast one
using Hardened = Flavour<kHardenedMitigations, MagazineCache>;

template <typename F>
class AllocatorTest : public testing::Test {
 protected:
  // Sampling would make the hardened flavour's behaviour vary from run to
  // run (a sampled object is unreadable once released); sampled_test
  // covers it.
  void SetUp() override { guard::SetSampleInterval(0); }
  void TearDown() override {
    guard::SetSampleInterval(guard::kDefaultSampleInterval);
  }

  using TestAllocator =
      SlabAllocator<Compose<FaultMapper, F::kMitigations, SlabTransferCounts,
                            F::template Cache>>;

  ClassId Register(absl::string_view name, size_t size, size_t alignment = 0,
                   bool zero_init = false, absl::string_view mapper = {}) {
    absl::StatusOr<ClassId> id =
        allocator_->Register({name, size, alignment, zero_init, mapper});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(ClassId{});
  }
  ClassStats Stats(ClassId cls) { return *allocator_->GetStats(cls); }
  // Live objects as the program sees them: cached ones returned first.
  uint64_t Live(ClassId cls) {
    allocator_->ReleaseIdleMemory();
    return Stats(cls).live;
  }

  MmapMapper inner_;
  FaultMapper mapper_{&inner_};
  std::unique_ptr<TestAllocator> allocator_ =
      std::make_unique<TestAllocator>(&mapper_);
};

using Flavours = testing::Types<Direct, Magazines, Hardened>;
TYPED_TEST_SUITE(AllocatorTest, Flavours);

TYPED_TEST(AllocatorTest, BadConfigsAreRefusedWithAReason) {
  struct Case {
    ClassConfig config;
    absl::StatusCode code;
    const char* words;
  } cases[] = {
      {{"", 8}, absl::StatusCode::kInvalidArgument, "class name"},
      {{std::string(64, 'n'), 8},
       absl::StatusCode::kInvalidArgument,
       "class name"},
      {{"zero", 0}, absl::StatusCode::kInvalidArgument, "object size 0"},
      {{"huge", (256 << 10) + 1},
       absl::StatusCode::kInvalidArgument,
       "outside"},
      {{"odd", 64, 24}, absl::StatusCode::kInvalidArgument, "power of two"},
      {{"wide", 64, 1 << 20}, absl::StatusCode::kInvalidArgument, "page size"},
      {{"lost", 64, 0, false, "nowhere"},
       absl::StatusCode::kNotFound,
       "nowhere"},
      {{"mags", 64, 0, false, {}, 5000},
       absl::StatusCode::kInvalidArgument,
       "magazine capacity"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ClassId> id = this->allocator_->Register(c.config);
    EXPECT_EQ(id.status().code(), c.code) << c.words;
    EXPECT_NE(id.status().message().find(c.words), absl::string_view::npos)
        << id.status();
  }
}

TYPED_TEST(AllocatorTest, IdsAreDistinctAndNeverZero) {
  std::set<uint32_t> ids;
  for (int i = 0; i < 20; ++i) {
    ClassId id = this->Register("c", 16);
    EXPECT_NE(id.value, 0u);
    EXPECT_TRUE(ids.insert(id.value).second);
  }
}

TYPED_TEST(AllocatorTest, ObjectsAreAlignedAndUsable) {
  for (size_t alignment : {1, 8, 16, 64, 256, 4096}) {
    ClassId cls = this->Register("aligned", 40, alignment);
    std::vector<void*> objects;
    for (int i = 0; i < 300; ++i) {
      void* p = this->allocator_->Allocate(cls);
      ASSERT_NE(p, nullptr);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u) << alignment;
      memset(p, i, 40);
      objects.push_back(p);
    }
    for (void* p : objects) this->allocator_->Release(cls, p);
  }
}

TYPED_TEST(AllocatorTest, ZeroInitAlwaysGivesZeros) {
  ClassId cls = this->Register("zeroed", 100, 0, /*zero_init=*/true);
  std::vector<unsigned char*> objects;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 500; ++i) {
      auto* p = static_cast<unsigned char*>(this->allocator_->Allocate(cls));
      ASSERT_NE(p, nullptr);
      for (int b = 0; b < 100; ++b) ASSERT_EQ(p[b], 0) << round;
      memset(p, 0xFF, 100);
      objects.push_back(p);
    }
    for (unsigned char* p : objects) this->allocator_->Release(cls, p);
    objects.clear();
  }
}

TYPED_TEST(AllocatorTest, WithoutZeroInitReleasedBytesAreUntouched) {
  ClassId cls = this->Register("raw", 64);
  auto* p = static_cast<unsigned char*>(this->allocator_->Allocate(cls));
  memset(p, 0xA5, 64);
  this->allocator_->Release(cls, p);
  // Type-stable memory stays readable, and slabkit wrote nothing into it.
  for (int b = 0; b < 64; ++b) ASSERT_EQ(p[b], 0xA5);
  void* next = this->allocator_->Allocate(cls);
  if constexpr (Has(TestFixture::TestAllocator::kMitigations,
                    Mitigations::kRandomReuse)) {
    EXPECT_NE(next, p) << "the object released last is not handed out next";
  } else {
    EXPECT_EQ(next, p);
  }
}

TYPED_TEST(AllocatorTest, AddressesNeverMoveBetweenClasses) {
  ClassId a = this->Register("a", 32);
  ClassId b = this->Register("b", 32);
  std::set<void*> from_a;
  for (int round = 0; round < 3; ++round) {
    std::vector<void*> pa, pb;
    for (int i = 0; i < 2000; ++i) {
      pa.push_back(this->allocator_->Allocate(a));
      pb.push_back(this->allocator_->Allocate(b));
    }
    for (void* p : pa) from_a.insert(p);
    for (void* p : pb) ASSERT_EQ(from_a.count(p), 0u) << "b got a's memory";
    for (void* p : pa) this->allocator_->Release(a, p);
    for (void* p : pb) this->allocator_->Release(b, p);
  }
}

// Exact in every flavour: per-thread counts are merged on read.
TYPED_TEST(AllocatorTest, StatsCountWhatHappened) {
  ClassId cls = this->Register("counted", 24, 8);
  std::vector<void*> objects;
  for (int i = 0; i < 1000; ++i)
    objects.push_back(this->allocator_->Allocate(cls));
  for (int i = 0; i < 400; ++i) this->allocator_->Release(cls, objects[i]);
  ClassStats s = this->Stats(cls);
  EXPECT_STREQ(s.name, "counted");
  EXPECT_STREQ(s.mapper, "fault");
  EXPECT_EQ(s.size, 24u);
  EXPECT_EQ(s.object_size, 24u);
  EXPECT_EQ(s.allocations, 1000u);
  EXPECT_EQ(s.releases, 400u);
  EXPECT_EQ(s.live, 600u);
  EXPECT_EQ(s.in_use_bytes, 600u * 24);
  EXPECT_GE(s.peak_out_of_slab, 1000u) << "caches take objects in batches";
  EXPECT_GE(s.from_slab, s.to_slab);
  EXPECT_GE(s.cache_misses, 1u);
  EXPECT_LE(s.cache_misses, 1000u);
  EXPECT_EQ(s.chunks, 1u);
  EXPECT_GE(s.spans, 1u);
  EXPECT_EQ(s.reserved_bytes, slab::kChunkSize);
  EXPECT_GT(s.committed_bytes, 24000u);
  EXPECT_EQ(this->allocator_->GetStats(ClassId{0}).status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(AllocatorTest, UnknownClassAllocatesNothing) {
  errno = 0;
  EXPECT_EQ(this->allocator_->Allocate(ClassId{0}), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(this->allocator_->Allocate(ClassId{slab::kMaxClasses + 5}),
            nullptr);
  EXPECT_EQ(errno, EINVAL);
}

TYPED_TEST(AllocatorTest, MapperFailureIsEnomemAndRecovers) {
  ClassId cls = this->Register("fragile", 512);
  for (MapperOp op : {MapperOp::kReserve, MapperOp::kCommit}) {
    this->mapper_.FailAll(op, true);
    std::vector<void*> got;
    // Runs into the failure when the current span or chunk is used up.
    for (int i = 0; i < 20000; ++i) {
      errno = 0;
      void* p = this->allocator_->Allocate(cls);
      if (p == nullptr) {
        EXPECT_EQ(errno, ENOMEM);
        break;
      }
      got.push_back(p);
    }
    EXPECT_LT(got.size(), 20000u) << "the failure was reached";
    this->mapper_.Heal();
    void* p = this->allocator_->Allocate(cls);
    ASSERT_NE(p, nullptr) << "works again once memory is there";
    std::set<void*> unique(got.begin(), got.end());
    EXPECT_EQ(unique.size(), got.size());
    EXPECT_EQ(unique.count(p), 0u);
    for (void* q : got) this->allocator_->Release(cls, q);
    this->allocator_->Release(cls, p);
  }
  EXPECT_EQ(this->Live(cls), 0u);
}

TYPED_TEST(AllocatorTest, ReuseWithoutGrowth) {
  ClassId cls = this->Register("churn", 32);
  constexpr int kObjects = 1'000'000;
  std::vector<void*> objects(kObjects);
  size_t reserved_after_first = 0;
  for (int round = 0; round < 3; ++round) {
    for (void*& p : objects) {
      p = this->allocator_->Allocate(cls);
      ASSERT_NE(p, nullptr);
    }
    for (void* p : objects) this->allocator_->Release(cls, p);
    EXPECT_EQ(this->Live(cls), 0u);
    const ClassStats s = this->Stats(cls);
    if (round == 0) reserved_after_first = s.reserved_bytes;
    EXPECT_EQ(s.reserved_bytes, reserved_after_first) << "round " << round;
  }
  EXPECT_EQ(this->mapper_.calls(MapperOp::kReserve) > 0, true);
  const uint64_t reserves = this->mapper_.calls(MapperOp::kReserve);
  for (void*& p : objects) p = this->allocator_->Allocate(cls);
  EXPECT_EQ(this->mapper_.calls(MapperOp::kReserve), reserves)
      << "a full round asks the mapper for nothing";
  for (void* p : objects) this->allocator_->Release(cls, p);
}

TYPED_TEST(AllocatorTest, ClassesMayNameAMapper) {
  for (const char* name : {"mmap", "thp", "file", "default"}) {
    ClassId cls = this->Register(name, 128, 0, false, name);
    void* p = this->allocator_->Allocate(cls);
    ASSERT_NE(p, nullptr) << name;
    memset(p, 1, 128);
    this->allocator_->Release(cls, p);
    EXPECT_STREQ(this->Stats(cls).mapper, name == std::string("default")
                                              ? DefaultMapperInstance().name()
                                              : name);
  }
}

TYPED_TEST(AllocatorTest, ConcurrentUseAcrossThreadsAndClasses) {
  constexpr int kThreads = 4;
  constexpr int kClasses = 3;
  ClassId classes[kClasses] = {this->Register("t0", 16),
                               this->Register("t1", 48),
                               this->Register("t2", 200)};
  std::vector<std::thread> threads;
  std::vector<std::vector<void*>> kept(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint64_t x = t + 1;
      std::vector<std::pair<int, uint64_t*>> live;
      for (int i = 0; i < 50000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (live.size() < 64 || x % 3 != 0) {
          const int c = x % kClasses;
          auto* p =
              static_cast<uint64_t*>(this->allocator_->Allocate(classes[c]));
          ASSERT_NE(p, nullptr);
          *p = reinterpret_cast<uintptr_t>(p) ^ t;
          live.push_back({c, p});
        } else {
          auto [c, p] = live[x % live.size()];
          ASSERT_EQ(*p, reinterpret_cast<uintptr_t>(p) ^ t) << "corrupted";
          live[x % live.size()] = live.back();
          live.pop_back();
          this->allocator_->Release(classes[c], p);
        }
      }
      for (auto [c, p] : live) this->allocator_->Release(classes[c], p);
    });
  }
  for (std::thread& t : threads) t.join();
  for (ClassId cls : classes) {
    EXPECT_EQ(this->Live(cls), 0u);
    const ClassStats s = this->Stats(cls);
    EXPECT_EQ(s.allocations, s.releases);
  }
}

// A Config without zero_init classes (the malloc drop-in's): its fast path
// does not test for them, so it refuses to register one.
struct NoZeroInitConfig : Compose<MmapMapper> {
  static constexpr bool kZeroInitClasses = false;
};

TEST(NoZeroInitAllocatorTest, ZeroInitClassesAreRefused) {
  static_assert(!ZeroInitClasses<NoZeroInitConfig>());
  static_assert(ZeroInitClasses<Compose<MmapMapper>>());
  MmapMapper mapper;
  SlabAllocator<NoZeroInitConfig> allocator(&mapper);
  absl::StatusOr<ClassId> zeroed = allocator.Register({"zeroed", 64, 0, true});
  EXPECT_EQ(zeroed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zeroed.status().message().find("zero_init"),
            absl::string_view::npos)
      << zeroed.status();
  absl::StatusOr<ClassId> plain = allocator.Register({"plain", 64});
  ASSERT_TRUE(plain.ok()) << plain.status();
  void* p = allocator.Allocate(*plain);
  ASSERT_NE(p, nullptr);
  allocator.Release(*plain, p);
}

TEST(FixedRegionAllocatorTest, AllocatorOverACallerBuffer) {
  constexpr size_t kBytes = 4 * slab::kChunkSize;
  // Chunks stay registered to their class for the life of the process, so
  // the buffer must too: it is never freed.
  static char* const buffer = new char[kBytes];
  FixedRegionMapper mapper(buffer, kBytes);
  SlabAllocator<
      Compose<FixedRegionMapper, Mitigations::kNone, NoSlabTransferCounts>>
      allocator(&mapper);
  absl::StatusOr<ClassId> cls = allocator.Register({"embedded", 64});
  ASSERT_TRUE(cls.ok());
  std::vector<void*> objects;
  while (void* p = allocator.Allocate(*cls)) objects.push_back(p);
  EXPECT_EQ(errno, ENOMEM) << "the buffer ran out, cleanly";
  EXPECT_GT(objects.size(), 100000u);
  for (void* p : objects) {
    ASSERT_TRUE(p >= buffer && p < buffer + kBytes);
  }
  allocator.Release(*cls, objects[10]);
  EXPECT_EQ(allocator.Allocate(*cls), objects[10]);
  EXPECT_EQ(allocator.GetStats(*cls)->from_slab, 0u)
      << "NoSlabTransferCounts counts no slab transfers";
}

// Misuse: every kind is reported with its words, the address and the class.
template <typename F>
class AllocatorDeathTest : public AllocatorTest<F> {
 protected:
  void SetUp() override {
    AllocatorTest<F>::SetUp();
    testing::FLAGS_gtest_death_test_style = "threadsafe";
  }
};
TYPED_TEST_SUITE(AllocatorDeathTest, Flavours);

// Delayed double frees and never-allocated slots: caught on the spot by the
// uncached path (the slab's bitmaps) and by the hardened flavour (object
// states); the fast flavour's magazines catch them only when they reach the
// slab (docs/safety.md).
template <typename F>
class ExactAllocatorDeathTest : public AllocatorDeathTest<F> {};
using ExactFlavours = testing::Types<Direct, Hardened>;
TYPED_TEST_SUITE(ExactAllocatorDeathTest, ExactFlavours);
using HardenedAllocatorDeathTest = AllocatorDeathTest<Hardened>;

TYPED_TEST(AllocatorDeathTest, WrongClass) {
  ClassId a = this->Register("apple", 32);
  ClassId b = this->Register("pear", 32);
  void* p = this->allocator_->Allocate(a);
  EXPECT_DEATH(this->allocator_->Release(b, p),
               "release to the wrong class: address 0x[0-9a-f]+, class "
               "\"pear\" .*belongs to class \"apple\"");
}

TYPED_TEST(AllocatorDeathTest, UnmanagedAddresses) {
  ClassId cls = this->Register("plum", 32);
  int on_stack;
  auto on_heap = LibcHeapBlock(sizeof(int));  // not slabkit's malloc
  const char* kWords =
      "release of an address slabkit does not manage: .*\"plum\"";
  EXPECT_DEATH(this->allocator_->Release(cls, &on_stack), kWords);
  EXPECT_DEATH(this->allocator_->Release(cls, on_heap.get()), kWords);
  EXPECT_DEATH(
      this->allocator_->Release(cls, reinterpret_cast<void*>(0xdeadbeef0)),
      kWords);
}

TYPED_TEST(AllocatorDeathTest, InteriorPointer) {
  ClassId cls = this->Register("fig", 64);
  char* p = static_cast<char*>(this->allocator_->Allocate(cls));
  EXPECT_DEATH(
      this->allocator_->Release(cls, p + 8),
      "release of an interior pointer: address 0x[0-9a-f]+, class \"fig\"");
  // Chunk metadata is slabkit's but is no object.
  EXPECT_DEATH(this->allocator_->Release(cls, slab::ChunkOf(p)),
               "interior pointer");
}

TYPED_TEST(AllocatorDeathTest, DoubleFree) {
  ClassId cls = this->Register("kiwi", 64);
  void* p = this->allocator_->Allocate(cls);
  this->allocator_->Release(cls, p);
  EXPECT_DEATH(this->allocator_->Release(cls, p), "double free: .*\"kiwi\"");
}

TYPED_TEST(ExactAllocatorDeathTest, DelayedDoubleFree) {
  ClassId cls = this->Register("kiwi", 64);
  void* q = this->allocator_->Allocate(cls);
  void* r = this->allocator_->Allocate(cls);
  this->allocator_->Release(cls, r);
  this->allocator_->Release(cls, q);
  EXPECT_DEATH(this->allocator_->Release(cls, r), "double free");
}

TYPED_TEST(ExactAllocatorDeathTest, NeverAllocated) {
  ClassId cls = this->Register("lime", 64);
  char* p = static_cast<char*>(this->allocator_->Allocate(cls));
  EXPECT_DEATH(this->allocator_->Release(cls, p + 64 * 5),
               "never allocated: .*\"lime\"");
}

TEST_F(HardenedAllocatorDeathTest, DoubleFreeOfAnObjectAnotherThreadCached) {
  ClassId cls = this->Register("fig", 64);
  void* p = nullptr;
  // Another thread allocates and releases p, then exits: p sits in the
  // depot, held by no one.
  std::thread([&] {
    p = this->allocator_->Allocate(cls);
    this->allocator_->Release(cls, p);
  }).join();
  EXPECT_DEATH(this->allocator_->Release(cls, p), "double free: .*\"fig\"");
}

// The class options canary and fill_released (ClassConfig), in every
// flavour.
ClassConfig Checked(absl::string_view name, size_t size, bool canary,
                    bool fill_released) {
  ClassConfig config;
  config.name = name;
  config.size = size;
  config.canary = canary;
  config.fill_released = fill_released;
  return config;
}

TYPED_TEST(AllocatorTest, CheckedClassesAreUsableAndCountExactly) {
  for (bool canary : {false, true}) {
    for (bool fill : {false, true}) {
      if (!canary && !fill) continue;
      absl::StatusOr<ClassId> cls =
          this->allocator_->Register(Checked("checked", 40, canary, fill));
      ASSERT_TRUE(cls.ok()) << cls.status();
      std::vector<unsigned char*> objects;
      for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 300; ++i) {
          auto* p =
              static_cast<unsigned char*>(this->allocator_->Allocate(*cls));
          ASSERT_NE(p, nullptr);
          if (fill) {
            for (int b = 0; b < 40; ++b) ASSERT_EQ(p[b], 0) << round;
          }
          memset(p, 0xEE, 40);  // every byte of the object, none past it
          objects.push_back(p);
        }
        EXPECT_EQ(this->Stats(*cls).live, 300u);
        for (unsigned char* p : objects) this->allocator_->Release(*cls, p);
        objects.clear();
        EXPECT_EQ(this->Stats(*cls).live, 0u);
      }
    }
  }
}

TYPED_TEST(AllocatorTest, FillReleasedLeavesNoBytesOfThePreviousOwner) {
  absl::StatusOr<ClassId> cls =
      this->allocator_->Register(Checked("filled", 64, false, true));
  ASSERT_TRUE(cls.ok());
  auto* p = static_cast<unsigned char*>(this->allocator_->Allocate(*cls));
  memset(p, 0xA5, 64);
  this->allocator_->Release(*cls, p);
  for (int b = 0; b < 64; ++b) ASSERT_EQ(p[b], 0) << b;  // still readable
}

TYPED_TEST(AllocatorTest, CheckedClassesRefuseWhatTheyCannotHold) {
  ClassConfig hooked = Checked("hooked", 64, true, false);
  hooked.object_hooks.construct = [](void*, void*) {};
  EXPECT_EQ(this->allocator_->Register(hooked).status().code(),
            absl::StatusCode::kInvalidArgument);
  hooked.canary = false;
  hooked.fill_released = true;
  EXPECT_EQ(this->allocator_->Register(hooked).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ClassId> big =
      this->allocator_->Register(Checked("big", 256 << 10, true, false));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("with canary"), absl::string_view::npos)
      << big.status();
  EXPECT_TRUE(this->allocator_
                  ->Register(Checked("fits", (256 << 10) - kClassCanaryBytes,
                                     true, false))
                  .ok());
}

TYPED_TEST(AllocatorDeathTest, CanaryCatchesAnOverflowOnRelease) {
  absl::StatusOr<ClassId> cls =
      this->allocator_->Register(Checked("guarded40", 40, true, false));
  ASSERT_TRUE(cls.ok());
  for (size_t past : {size_t{0}, size_t{15}}) {
    char* p = static_cast<char*>(this->allocator_->Allocate(*cls));
    memset(p, 1, 40);
    // One byte past the end, or the canary's last, changed in one bit (a
    // value that happens to be the canary's goes unseen, as for any canary).
    p[40 + past] ^= 0x10;
    EXPECT_DEATH(this->allocator_->Release(*cls, p),
                 "heap buffer overflow: address 0x[0-9a-f]+, class "
                 "\"guarded40\"");
    p[40 + past] ^= 0x10;
    EXPECT_EQ(p[40 + past], static_cast<char>(guard::CanaryAt(
                                guard::CanaryPattern(p), p + 40 + past)));
    this->allocator_->Release(*cls, p);  // the canary restored: no report
  }
}

TYPED_TEST(AllocatorDeathTest, FillReleasedCatchesAWriteAfterFree) {
  absl::StatusOr<ClassId> cls =
      this->allocator_->Register(Checked("filled64", 64, false, true));
  ASSERT_TRUE(cls.ok());
  char* p = static_cast<char*>(this->allocator_->Allocate(*cls));
  this->allocator_->Release(*cls, p);
  p[10] = 1;  // after the release
  // Allocations reach the slot in the end, and report it there.
  EXPECT_DEATH(
      {
        for (int i = 0; i < 100000; ++i) this->allocator_->Allocate(*cls);
      },
      "write after free: address 0x[0-9a-f]+, class \"filled64\"");
}

TYPED_TEST(AllocatorDeathTest, CheckedClassesCatchEveryDoubleFree) {
  absl::StatusOr<ClassId> cls =
      this->allocator_->Register(Checked("twice", 64, true, true));
  ASSERT_TRUE(cls.ok());
  void* q = this->allocator_->Allocate(*cls);
  void* r = this->allocator_->Allocate(*cls);
  this->allocator_->Release(*cls, r);
  this->allocator_->Release(*cls, q);
  EXPECT_DEATH(this->allocator_->Release(*cls, r), "double free: .*\"twice\"");
}

TYPED_TEST(AllocatorDeathTest, UnknownClass) {
  ClassId cls = this->Register("date", 64);
  void* p = this->allocator_->Allocate(cls);
  EXPECT_DEATH(this->allocator_->Release(ClassId{0}, p),
               "unknown class: .*id 0");
  EXPECT_DEATH(this->allocator_->Release(ClassId{4000}, p),
               "unknown class: .*id 4000");
}

// A handle belongs to the allocator that registered it. Both directions,
// between two allocators of each flavour's Config (which share this
// thread's cache entries) and between the flavours: a foreign handle is an
// unknown class, however warm this thread's entry for it is.
template <typename F>
class HandleOwnershipTest : public AllocatorDeathTest<F> {};
TYPED_TEST_SUITE(HandleOwnershipTest, Flavours);

// With class `m` of `mine` and `t` of `theirs` warm on this thread (each with
// an object cached), neither allocator takes the other's handle, to
// allocate or to release, and nothing changes for the owners.
template <typename Mine, typename Theirs>
void ExpectHandlesKeptApart(Mine& mine, ClassId m, Theirs& theirs, ClassId t) {
  void* pm = mine.Allocate(m);
  void* pt = theirs.Allocate(t);
  ASSERT_NE(pm, nullptr);
  ASSERT_NE(pt, nullptr);
  mine.Release(m, mine.Allocate(m));
  theirs.Release(t, theirs.Allocate(t));

  errno = 0;
  EXPECT_EQ(mine.Allocate(t), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(theirs.Allocate(m), nullptr);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_DEATH(mine.Release(t, pt),
               "release to an unknown class: address 0x[0-9a-f]+");
  EXPECT_DEATH(theirs.Release(m, pm),
               "release to an unknown class: address 0x[0-9a-f]+");
  EXPECT_EQ(mine.GetStats(m)->live, 1u);
  EXPECT_EQ(theirs.GetStats(t)->live, 1u);
  mine.Release(m, pm);
  theirs.Release(t, pt);
}

TYPED_TEST(HandleOwnershipTest, AnotherAllocatorsHandleIsAnUnknownClass) {
  using A = typename TestFixture::TestAllocator;
  A& theirs =
      *conformance::Keep(new A(&this->mapper_));  // outlives its objects
  absl::StatusOr<ClassId> t = theirs.Register({"theirs", 48});
  ASSERT_TRUE(t.ok());
  ExpectHandlesKeptApart(*this->allocator_, this->Register("mine", 48), theirs,
                         *t);
}

TYPED_TEST(HandleOwnershipTest, TheOtherFlavoursHandleIsAnUnknownClass) {
  using A = typename TestFixture::TestAllocator;
  // An allocator of the other flavour: other mitigations, so another
  // Config, another table and another layout (the hardened one keeps a
  // state byte per object, which a fast-flavour chunk has no room for).
  constexpr Mitigations kOther = A::kMitigations == Mitigations::kNone
                                     ? kHardenedMitigations
                                     : Mitigations::kNone;
  using Other = SlabAllocator<Compose<FaultMapper, kOther>>;
  Other& theirs = *conformance::Keep(new Other(&this->mapper_));
  absl::StatusOr<ClassId> t = theirs.Register({"theirs", 64});
  ASSERT_TRUE(t.ok());
  ExpectHandlesKeptApart(*this->allocator_, this->Register("mine", 64), theirs,
                         *t);
}

TEST(DefaultAllocatorTest, IsOneProcessWideInstance) {
  EXPECT_EQ(&DefaultAllocator(), &DefaultAllocator());
  absl::StatusOr<ClassId> cls = DefaultAllocator().Register({"global", 16});
  ASSERT_TRUE(cls.ok());
  void* p = DefaultAllocator().Allocate(*cls);
  ASSERT_NE(p, nullptr);
  DefaultAllocator().Release(*cls, p);
}

}  // namespace
}  // namespace slabkit

// A conformance suite for any allocator of the project's allocator concept:
//
//   absl::StatusOr<ClassId> Register(const ClassConfig&);
//   void* Allocate(ClassId);
//   void Release(ClassId, void*);
//
// composed as SlabAllocator<Config> from any mapper and policies. Written
// once as typed GoogleTest tests (uniqueness, alignment, contents preserved,
// zero-init, release and reuse, multi-threaded use), and run on your own
// composition with one line, at namespace scope, in a test that depends on
// //testing:conformance:
//
//   SLABKIT_CONFORMANCE_TESTS(Mine, my::Config);
//
// Subject<Config> builds the Config's mapper with MapperFactory<Mapper>;
// a mapper that is not default-constructible specializes it.
#ifndef SLABKIT_TESTING_CONFORMANCE_H_
#define SLABKIT_TESTING_CONFORMANCE_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "allocator/slab_allocator.h"
#include "gtest/gtest.h"
#include "mapper/file_mapper.h"
#include "mapper/fixed_region_mapper.h"
#include "testing/keep.h"

namespace slabkit {
namespace conformance {

// Subjects live as long as the process (their classes do): what they make
// is kept reachable (testing/keep.h).

// Makes a mapper for a test subject.
template <typename M>
struct MapperFactory {
  static M* Make() { return Keep(new M()); }
};

template <>
struct MapperFactory<FileMapper> {
  static FileMapper* Make() {
    return Keep(new FileMapper(getenv("TEST_TMPDIR")));
  }
};

template <>
struct MapperFactory<FixedRegionMapper> {
  // Room for page-guarded compositions (a span of their own per object).
  static constexpr size_t kBytes = size_t{256} << 20;
  static FixedRegionMapper* Make() {
    return Keep(new FixedRegionMapper(Keep(new char[kBytes]), kBytes));
  }
};

// An allocator composed from Config, on a mapper of its own.
template <typename Config>
struct Subject {
  using Allocator = SlabAllocator<Config>;
  Subject()
      : mapper(MapperFactory<typename Config::Mapper>::Make()),
        allocator(Keep(new Allocator(mapper))) {}
  // Never destroyed: classes, and objects other threads cached, outlive a
  // test.
  typename Config::Mapper* mapper;
  Allocator* allocator;
};

template <typename S>
class AllocatorConformance : public ::testing::Test {
 protected:
  ClassId Register(size_t size, size_t alignment = 0, bool zero_init = false) {
    ClassConfig config;
    config.name = "conformance";
    config.size = size;
    config.alignment = alignment;
    config.zero_init = zero_init;
    absl::StatusOr<ClassId> id = subject_.allocator->Register(config);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(ClassId{});
  }
  void* Allocate(ClassId cls) { return subject_.allocator->Allocate(cls); }
  void Release(ClassId cls, void* p) { subject_.allocator->Release(cls, p); }

  S subject_;
};

TYPED_TEST_SUITE_P(AllocatorConformance);

TYPED_TEST_P(AllocatorConformance, LiveObjectsAreUniqueAndDisjoint) {
  for (size_t size : {8, 24, 100, 4096, 70000}) {
    const ClassId cls = this->Register(size);
    std::vector<char*> objects;
    for (int i = 0; i < 300; ++i) {
      objects.push_back(static_cast<char*>(this->Allocate(cls)));
      ASSERT_NE(objects.back(), nullptr) << size;
    }
    std::sort(objects.begin(), objects.end());
    for (size_t i = 1; i < objects.size(); ++i) {
      ASSERT_GE(objects[i], objects[i - 1] + size) << "overlap at " << size;
    }
    for (char* p : objects) this->Release(cls, p);
  }
}

TYPED_TEST_P(AllocatorConformance, ObjectsHaveTheirAlignment) {
  for (size_t alignment : {1, 8, 16, 64, 512, 4096}) {
    const ClassId cls = this->Register(40, alignment);
    for (int i = 0; i < 100; ++i) {
      void* p = this->Allocate(cls);
      ASSERT_NE(p, nullptr);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u) << alignment;
      this->Release(cls, p);
    }
  }
}

TYPED_TEST_P(AllocatorConformance, ContentsArePreservedWhileLive) {
  const ClassId cls = this->Register(64);
  std::vector<uint64_t*> objects;
  for (uint64_t i = 0; i < 2000; ++i) {
    auto* p = static_cast<uint64_t*>(this->Allocate(cls));
    for (int w = 0; w < 8; ++w) p[w] = i * 8 + w;
    objects.push_back(p);
    // Churn in between: release every third object kept so far.
    if (i % 3 == 2) {
      this->Release(cls, objects[i / 3]);
      objects[i / 3] = nullptr;
    }
  }
  for (uint64_t i = 0; i < objects.size(); ++i) {
    if (objects[i] == nullptr) continue;
    for (int w = 0; w < 8; ++w) ASSERT_EQ(objects[i][w], i * 8 + w);
    this->Release(cls, objects[i]);
  }
}

TYPED_TEST_P(AllocatorConformance, ZeroInitGivesZerosEveryTime) {
  const ClassId cls = this->Register(200, 0, /*zero_init=*/true);
  for (int round = 0; round < 3; ++round) {
    std::vector<unsigned char*> objects;
    for (int i = 0; i < 500; ++i) {
      auto* p = static_cast<unsigned char*>(this->Allocate(cls));
      for (int b = 0; b < 200; ++b) ASSERT_EQ(p[b], 0);
      memset(p, 0xFF, 200);
      objects.push_back(p);
    }
    for (unsigned char* p : objects) this->Release(cls, p);
  }
}

TYPED_TEST_P(AllocatorConformance, ReleasedMemoryIsReusedNotGrown) {
  const ClassId cls = this->Register(128);
  std::vector<void*> objects(20000);
  size_t reserved = 0;
  for (int round = 0; round < 4; ++round) {
    for (void*& p : objects) p = this->Allocate(cls);
    for (void* p : objects) this->Release(cls, p);
    const size_t now = this->subject_.allocator->GetStats(cls)->reserved_bytes;
    if (round == 0) reserved = now;
    EXPECT_EQ(now, reserved) << "round " << round;
  }
}

TYPED_TEST_P(AllocatorConformance, ManyThreadsWithCrossThreadReleases) {
  const ClassId cls = this->Register(48);
  std::mutex mu;
  std::set<void*> live;
  std::vector<void*> shared;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      uint64_t x = t + 1;
      std::vector<void*> mine;
      for (int i = 0; i < 20000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (mine.size() < 50 || x % 2 == 0) {
          void* p = this->Allocate(cls);
          std::lock_guard<std::mutex> lock(mu);
          ASSERT_TRUE(live.insert(p).second) << "handed out twice";
          mine.push_back(p);
        } else {
          void* p = mine.back();
          mine.pop_back();
          std::lock_guard<std::mutex> lock(mu);
          if (x % 3 == 0) {
            shared.push_back(p);  // some other thread releases it
            continue;
          }
          if (!shared.empty() && x % 5 == 0) {
            mine.push_back(p);
            p = shared.back();
            shared.pop_back();
          }
          live.erase(p);
          this->Release(cls, p);
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      for (void* p : mine) shared.push_back(p);
    });
  }
  for (std::thread& t : threads) t.join();
  for (void* p : shared) {
    live.erase(p);
    this->Release(cls, p);
  }
  ASSERT_TRUE(live.empty()) << "the test lost track of an object";
  // The allocator's own count agrees: every object came back, exactly once,
  // and the released memory is handed out again.
  const absl::StatusOr<ClassStats> stats =
      this->subject_.allocator->GetStats(cls);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->live, 0u);
  EXPECT_EQ(stats->allocations, stats->releases);
  EXPECT_GT(stats->allocations, 0u);
  std::set<void*> again;
  for (int i = 0; i < 200; ++i) {
    void* p = this->Allocate(cls);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(again.insert(p).second) << "handed out twice";
  }
  for (void* p : again) this->Release(cls, p);
}

REGISTER_TYPED_TEST_SUITE_P(AllocatorConformance,
                            LiveObjectsAreUniqueAndDisjoint,
                            ObjectsHaveTheirAlignment,
                            ContentsArePreservedWhileLive,
                            ZeroInitGivesZerosEveryTime,
                            ReleasedMemoryIsReusedNotGrown,
                            ManyThreadsWithCrossThreadReleases);

}  // namespace conformance
}  // namespace slabkit

// Runs the suite on SlabAllocator<Config>, Config being the arguments after
// PREFIX (a fully qualified type, commas allowed: Compose<M, kMitigations>);
// PREFIX names the instantiation. Use at global namespace scope, in a
// cc_test that depends on //testing:conformance_main (this suite and
// GoogleTest's main) or on //testing:conformance and a main of its own.
#define SLABKIT_CONFORMANCE_TESTS(PREFIX, ...)                 \
  namespace slabkit {                                          \
  namespace conformance {                                      \
  using PREFIX##ConformanceSubject = Subject<__VA_ARGS__>;     \
  INSTANTIATE_TYPED_TEST_SUITE_P(PREFIX, AllocatorConformance, \
                                 PREFIX##ConformanceSubject);  \
  }                                                            \
  }                                                            \
  static_assert(true, "")

#endif  // SLABKIT_TESTING_CONFORMANCE_H_

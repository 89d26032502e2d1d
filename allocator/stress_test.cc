// Many threads, several classes, random allocate and release, objects
// released by threads other than their allocator, and thousands of
// short-lived threads. Checks that no object is handed out twice while
// live, that every byte a thread wrote is intact, and that after all threads
// end every object is accounted for.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "allocator/allocator.h"
#include "gtest/gtest.h"
#include "guard/sampled.h"
#include "testing/shared_stack.h"

namespace slabkit {
namespace {

struct Object {
  int shape;
  uint64_t* p;
  uint64_t token;
};

// Both flavours; the hardened one samples heavily, so guarded objects mix
// with cached ones across threads.
struct Fast {
  static Allocator& Get() { return DefaultAllocator(); }
  static constexpr uint64_t kSampleInterval = 0;
};
struct HardenedSampling {
  static HardenedAllocator& Get() { return DefaultHardenedAllocator(); }
  static constexpr uint64_t kSampleInterval = 4096;
};

template <typename F>
class StressTest : public testing::Test {
 protected:
  void TearDown() override {
    guard::SetSampleInterval(guard::kDefaultSampleInterval);
  }

  static constexpr size_t kSizes[] = {24, 64, 500};

  void SetUp() override {
    guard::SetSampleInterval(F::kSampleInterval);
    for (size_t i = 0; i < 3; ++i) {
      absl::StatusOr<ClassId> cls = F::Get().Register(
          {"stress", kSizes[i], 8, /*zero_init=*/i == 1,
           /*mapper=*/{}, /*magazine_capacity=*/i == 2 ? 8u : 0u,
           /*depot_magazines=*/i == 0 ? 2u : 0u});
      ASSERT_TRUE(cls.ok());
      classes_[i] = *cls;
    }
  }

  // Words of the object, filled from its token.
  static size_t Words(int shape) { return kSizes[shape] / 8; }

  Object Allocate(int shape) {
    auto* p = static_cast<uint64_t*>(F::Get().Allocate(classes_[shape]));
    EXPECT_NE(p, nullptr);
    if (shape == 1) {
      for (size_t i = 0; i < Words(shape); ++i) EXPECT_EQ(p[i], 0u);
    }
    const uint64_t token = next_token_.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      EXPECT_TRUE(live_.insert(p).second) << "handed out twice while live";
    }
    for (size_t i = 0; i < Words(shape); ++i) p[i] = token * 31 + i;
    return Object{shape, p, token};
  }

  void Release(const Object& o) {
    for (size_t i = 0; i < Words(o.shape); ++i) {
      ASSERT_EQ(o.p[i], o.token * 31 + i) << "bytes changed while live";
    }
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      ASSERT_EQ(live_.erase(o.p), 1u);
    }
    F::Get().Release(classes_[o.shape], o.p);
  }

  // Moves objects between threads.
  void Share(const Object& o) { pool_.Put(o); }
  bool TakeShared(Object* o) { return pool_.Take(o); }

  // A thread's life: random work, some objects left to others.
  void Work(uint64_t seed, int steps) {
    std::mt19937_64 rng(seed);
    std::vector<Object> mine;
    for (int i = 0; i < steps; ++i) {
      const uint64_t r = rng();
      Object o;
      if (r % 4 == 0 && TakeShared(&o)) {
        Release(o);  // allocated by some other thread
      } else if (mine.size() < 32 || r % 3 == 0) {
        mine.push_back(Allocate(static_cast<int>((r >> 8) % 3)));
      } else {
        const size_t k = (r >> 16) % mine.size();
        if ((r >> 32) % 2 == 0) {
          Release(mine[k]);
        } else {
          Share(mine[k]);
        }
        mine[k] = mine.back();
        mine.pop_back();
      }
    }
    for (const Object& o : mine) Share(o);
  }

  ClassId classes_[3];
  std::atomic<uint64_t> next_token_{1};
  std::mutex live_mu_;
  std::unordered_set<uint64_t*> live_;
  stress::SharedStack<Object> pool_;
};

using Flavours = testing::Types<Fast, HardenedSampling>;
TYPED_TEST_SUITE(StressTest, Flavours);

TYPED_TEST(StressTest, ThreadsChurnAndEveryObjectIsAccountedFor) {
  // Long-lived threads releasing each other's objects.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] { this->Work(1000 + t, 50000); });
  }
  for (std::thread& t : threads) t.join();
  threads.clear();

  // Thousands of short-lived threads, a few at a time; every fourth one
  // exits without touching the allocator.
  for (int wave = 0; wave < 1000; ++wave) {
    for (int t = 0; t < 4; ++t) {
      const int n = wave * 4 + t;
      threads.emplace_back([this, n] {
        if (n % 4 != 3) this->Work(n, 50);
      });
    }
    for (std::thread& t : threads) t.join();
    threads.clear();
  }

  Object o;
  while (this->TakeShared(&o)) this->Release(o);
  EXPECT_TRUE(this->live_.empty());
  // Exited threads left their magazines in the depots; this thread's and the
  // depots' go back to the slab now. Then nothing may be missing.
  TypeParam::Get().ReleaseIdleMemory();
  for (ClassId cls : this->classes_) {
    const ClassStats s = *TypeParam::Get().GetStats(cls);
    EXPECT_EQ(s.live, 0u) << "objects lost, class of " << s.object_size;
    EXPECT_EQ(s.allocations, s.releases);
    EXPECT_EQ(s.depot_objects, 0u);
    // Magazines are recycled through the depot, not made per thread.
    EXPECT_LT(s.magazines, 200u) << s.object_size;
  }
}

}  // namespace
}  // namespace slabkit

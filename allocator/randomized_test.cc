// Random operations over several classes, checking after every step that
// live objects are unique, never overlap, are aligned, start zeroed when
// zero_init asks for it, and keep every byte the program wrote.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "absl/random/random.h"
#include "allocator/allocator.h"
#include "gtest/gtest.h"

namespace slabkit {
namespace {

struct Shape {
  size_t size;
  size_t alignment;
  bool zero_init;
};

struct Live {
  size_t shape;
  uint8_t seed;
};

void Fill(void* p, size_t size, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed + i * 31);
}

bool Intact(const void* p, size_t size, uint8_t seed) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < size; ++i) {
    if (b[i] != static_cast<uint8_t>(seed + i * 31)) return false;
  }
  return true;
}

TEST(RandomizedTest, ManyClassesRandomOperations) {
  const Shape shapes[] = {{8, 0, false},       {24, 8, true},
                          {100, 4, false},     {1000, 64, true},
                          {4096, 4096, false}, {33000, 0, true}};
  std::vector<ClassId> classes;
  for (const Shape& s : shapes) {
    absl::StatusOr<ClassId> cls = DefaultAllocator().Register(
        {"random", s.size, s.alignment, s.zero_init});
    ASSERT_TRUE(cls.ok()) << cls.status();
    classes.push_back(*cls);
  }
  const uint64_t seed = 20261121;
  std::mt19937_64 rng(seed);
  std::map<uintptr_t, Live> live;  // by address, to find overlaps
  for (int step = 0; step < 200000; ++step) {
    const bool allocate = live.size() < 50 || absl::Uniform(rng, 0, 100) < 55;
    if (allocate) {
      const size_t k = absl::Uniform<size_t>(rng, 0, classes.size());
      const Shape& s = shapes[k];
      void* p = DefaultAllocator().Allocate(classes[k]);
      ASSERT_NE(p, nullptr);
      const uintptr_t a = reinterpret_cast<uintptr_t>(p);
      const size_t align = s.alignment ? s.alignment : (s.size >= 16 ? 16 : 8);
      ASSERT_EQ(a % align, 0u) << "step " << step;
      // Neither neighbour may overlap [a, a + size).
      auto next = live.lower_bound(a);
      if (next != live.end()) {
        ASSERT_GE(next->first, a + s.size) << "overlap, step " << step;
      }
      if (next != live.begin()) {
        auto prev = std::prev(next);
        ASSERT_LE(prev->first + shapes[prev->second.shape].size, a)
            << "overlap, step " << step;
      }
      if (s.zero_init) {
        for (size_t i = 0; i < s.size; ++i) {
          ASSERT_EQ(static_cast<uint8_t*>(p)[i], 0) << "step " << step;
        }
      }
      const uint8_t fill = static_cast<uint8_t>(rng());
      Fill(p, s.size, fill);
      live[a] = Live{k, fill};
    } else {
      auto it = live.begin();
      std::advance(
          it, absl::Uniform<size_t>(rng, 0, std::min<size_t>(live.size(), 64)));
      const Live l = it->second;
      void* p = reinterpret_cast<void*>(it->first);
      ASSERT_TRUE(Intact(p, shapes[l.shape].size, l.seed))
          << "contents changed, step " << step << ", seed " << seed;
      DefaultAllocator().Release(classes[l.shape], p);
      live.erase(it);
    }
  }
  for (const auto& [a, l] : live) {
    ASSERT_TRUE(
        Intact(reinterpret_cast<void*>(a), shapes[l.shape].size, l.seed));
    DefaultAllocator().Release(classes[l.shape], reinterpret_cast<void*>(a));
  }
  // Cached objects count as live at the slab until idle memory is returned.
  EXPECT_GT(DefaultAllocator().ReleaseIdleMemory(), 0u);
  for (ClassId cls : classes) {
    const ClassStats s = *DefaultAllocator().GetStats(cls);
    EXPECT_EQ(s.live, 0u) << s.name;
    EXPECT_EQ(s.depot_objects + s.thread_cached_objects, 0u);
    EXPECT_EQ(s.spans, 0u) << "every span was empty, so all were decommitted";
  }
}

}  // namespace
}  // namespace slabkit

#include "arena/arena.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/fixed_region_mapper.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace {

TEST(ArenaTest, AnySizeAndAlignmentWithoutOverlap) {
  Arena arena;
  struct Block {
    char* p;
    size_t size;
    uint8_t fill;
  };
  std::vector<Block> blocks;
  uint64_t x = 1;
  for (int i = 0; i < 5000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const size_t size = x % 3000;
    const size_t alignment = size_t{1} << (x >> 20) % 13;  // 1 .. 4096
    auto* p = static_cast<char*>(arena.Allocate(size, alignment));
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u);
    memset(p, i & 0xFF, size);
    blocks.push_back({p, size, static_cast<uint8_t>(i & 0xFF)});
  }
  for (const Block& b : blocks) {
    for (size_t i = 0; i < b.size; ++i)
      ASSERT_EQ(static_cast<uint8_t>(b.p[i]), b.fill);
  }
  EXPECT_EQ(arena.stats().allocations, 5000u);
  EXPECT_GT(arena.stats().chunks, 1u);
}

TEST(ArenaTest, LargeAndOverAlignedRequestsGetChunksOfTheirOwn) {
  Arena arena;
  void* big = arena.Allocate(size_t{8} << 20);
  ASSERT_NE(big, nullptr);
  memset(big, 1, size_t{8} << 20);
  void* aligned = arena.Allocate(100, size_t{2} << 20);
  ASSERT_NE(aligned, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % (size_t{2} << 20), 0u);
}

TEST(ArenaTest, ResetFreesEverythingAndKeepsOneChunk) {
  MmapMapper inner;
  FaultInjectingMapper<MmapMapper> mapper(&inner);
  Arena arena{MapperRef(&mapper), 64 << 10};
  for (int i = 0; i < 1000; ++i) ASSERT_NE(arena.Allocate(1000), nullptr);
  EXPECT_GT(arena.stats().chunks, 10u);
  const void* first_after = nullptr;
  arena.Reset();
  EXPECT_EQ(arena.stats().chunks, 1u);
  EXPECT_EQ(arena.stats().allocations, 0u);
  EXPECT_EQ(mapper.calls(MapperOp::kRelease) + 1,
            mapper.calls(MapperOp::kReserve));
  first_after = arena.Allocate(1000);
  EXPECT_NE(first_after, nullptr);
  const uint64_t reserves = mapper.calls(MapperOp::kReserve);
  arena.Reset();
  for (int i = 0; i < 50; ++i) ASSERT_NE(arena.Allocate(1000), nullptr);
  EXPECT_EQ(mapper.calls(MapperOp::kReserve), reserves)
      << "the kept chunk is reused";
}

TEST(ArenaTest, DestructionReturnsEveryChunk) {
  MmapMapper inner;
  FaultInjectingMapper<MmapMapper> mapper(&inner);
  {
    Arena arena{MapperRef(&mapper), 64 << 10};
    for (int i = 0; i < 500; ++i) ASSERT_NE(arena.Allocate(2000), nullptr);
  }
  EXPECT_EQ(mapper.calls(MapperOp::kRelease), mapper.calls(MapperOp::kReserve));
}

TEST(ArenaTest, ErrorsAreErrnoAndTheArenaKeepsWorking) {
  MmapMapper inner;
  FaultInjectingMapper<MmapMapper> mapper(&inner);
  Arena arena{MapperRef(&mapper), 64 << 10};
  errno = 0;
  EXPECT_EQ(arena.Allocate(10, 3), nullptr);
  EXPECT_EQ(errno, EINVAL);
  mapper.FailAll(MapperOp::kReserve, true);
  errno = 0;
  EXPECT_EQ(arena.Allocate(100), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  mapper.Heal();
  EXPECT_NE(arena.Allocate(100), nullptr);
  EXPECT_EQ(arena.Allocate(SIZE_MAX - 10), nullptr) << "overflow is refused";
}

TEST(ArenaTest, NewConstructsAndWorksOnAFixedRegion) {
  static char* const buffer = new char[8 << 20];
  FixedRegionMapper mapper(buffer, 8 << 20);
  Arena arena{MapperRef(&mapper), 256 << 10};
  struct Point {
    Point(int x, int y) : x(x), y(y) {}
    int x, y;
  };
  Point* p = arena.New<Point>(3, 4);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->x + p->y, 7);
  EXPECT_TRUE(reinterpret_cast<char*>(p) >= buffer &&
              reinterpret_cast<char*>(p) < buffer + (8 << 20));
}

TEST(ArenaTest, TheGuardSeparatesHeaderAndData) {
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  Arena arena;
  char* p = static_cast<char*>(arena.Allocate(16, 16));
  // The first allocation starts the chunk's data: one page back is the guard.
  EXPECT_DEATH(*reinterpret_cast<volatile char*>(p - 1) = 1, "");
}

}  // namespace
}  // namespace slabkit

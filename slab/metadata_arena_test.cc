#include "slab/metadata_arena.h"

#include <cstdint>
#include <cstring>

#include "gtest/gtest.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace slab {
namespace {

TEST(MetadataArenaTest, AlignedZeroedDisjointAllocations) {
  MmapMapper mapper;
  MetadataArena arena{MapperRef(&mapper)};
  char* prev_end = nullptr;
  for (int i = 0; i < 1000; ++i) {
    auto* p = static_cast<char*>(arena.Allocate(200, 64));
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    for (int j = 0; j < 200; ++j) ASSERT_EQ(p[j], 0);
    if (prev_end != nullptr && p > prev_end - 200) {
      ASSERT_GE(p, prev_end);
    }
    memset(p, 1, 200);
    prev_end = p + 200;
  }
  EXPECT_GE(arena.mapped_bytes(), 1000u * 200);
  void* big = arena.Allocate(MetadataArena::kBlockBytes * 2, 8);
  ASSERT_NE(big, nullptr) << "requests above the block size get their own";
}

TEST(MetadataArenaTest, MapperFailureIsNullThenRecovers) {
  MmapMapper inner;
  FaultInjectingMapper<MmapMapper> mapper(&inner);
  MetadataArena arena{MapperRef(&mapper)};
  mapper.FailNth(MapperOp::kCommit, 1);
  EXPECT_EQ(arena.Allocate(64, 8), nullptr);
  EXPECT_EQ(mapper.calls(MapperOp::kRelease), 1u) << "no reservation leaks";
  EXPECT_NE(arena.Allocate(64, 8), nullptr);
}

}  // namespace
}  // namespace slab
}  // namespace slabkit

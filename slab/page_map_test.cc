#include "slab/page_map.h"

#include <cstdint>
#include <memory>
#include <set>

#include "gtest/gtest.h"
#include "mapper/mmap_mapper.h"
#include "testing/libc_heap.h"

namespace slabkit {
namespace slab {
namespace {

TEST(PageMapTest, UnmanagedAddressesHaveNoClass) {
  int on_stack = 0;
  // The C library's heap: under --custom_malloc, malloc's own blocks are
  // slabkit's and have a class.
  auto on_heap = LibcHeapBlock(sizeof(int));
  EXPECT_EQ(LookupClass(nullptr), 0u);
  EXPECT_EQ(LookupClass(&on_stack), 0u);
  EXPECT_EQ(LookupClass(on_heap.get()), 0u);
  EXPECT_EQ(LookupClass(reinterpret_cast<void*>(uintptr_t{1} << 60)), 0u);
  EXPECT_EQ(LookupClass(reinterpret_cast<void*>(~uintptr_t{0})), 0u);
}

TEST(PageMapTest, RegisteredChunkIsFoundEverywhereInsideAndNowhereElse) {
  MmapMapper mapper;
  absl::StatusOr<void*> mem = mapper.Reserve(3 * kChunkSize, kChunkSize);
  ASSERT_TRUE(mem.ok());
  char* middle = static_cast<char*>(*mem) + kChunkSize;
  const uint32_t id = NewClassId();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(RegisterChunk(middle, id).ok());
  EXPECT_EQ(LookupClass(middle), id);
  EXPECT_EQ(LookupClass(middle + kChunkSize / 2), id);
  EXPECT_EQ(LookupClass(middle + kChunkSize - 1), id);
  EXPECT_EQ(LookupClass(middle - 1), 0u);
  EXPECT_EQ(LookupClass(middle + kChunkSize), 0u);
  UnregisterChunk(middle);
  EXPECT_EQ(LookupClass(middle), 0u);
  EXPECT_TRUE(mapper.Release(*mem, 3 * kChunkSize).ok());
}

TEST(PageMapTest, MisalignedChunkOrZeroIdIsRefused) {
  auto* odd = reinterpret_cast<void*>(kChunkSize + 4096);
  EXPECT_EQ(RegisterChunk(odd, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RegisterChunk(reinterpret_cast<void*>(kChunkSize), 0).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageMapTest, ChunksAnywhereInTheAddressSpace) {
  // Recording touches only the map, never the chunks, so these addresses
  // need no memory behind them.
  const uint32_t id = NewClassId();
  for (uintptr_t a : {uintptr_t{1} << 22, uintptr_t{0x100} << 32,
                      (uintptr_t{1} << kAddressBits) - kChunkSize}) {
    void* chunk = reinterpret_cast<void*>(a);
    ASSERT_TRUE(RegisterChunk(chunk, id).ok()) << a;
    EXPECT_EQ(LookupClass(chunk), id);
    EXPECT_EQ(LookupClass(static_cast<char*>(chunk) + kChunkSize - 1), id);
    EXPECT_EQ(LookupClass(static_cast<char*>(chunk) - 1), 0u);
    UnregisterChunk(chunk);
    EXPECT_EQ(LookupClass(chunk), 0u);
  }
  EXPECT_EQ(
      RegisterChunk(reinterpret_cast<void*>(uintptr_t{1} << kAddressBits), id)
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(PageMapTest, ClassIdsAreUniqueAndNonZero) {
  std::set<uint32_t> ids;
  for (int i = 0; i < 100; ++i) {
    const uint32_t id = NewClassId();
    ASSERT_NE(id, 0u);
    ASSERT_LT(id, kMaxClasses);
    EXPECT_TRUE(ids.insert(id).second);
  }
}

}  // namespace
}  // namespace slab
}  // namespace slabkit

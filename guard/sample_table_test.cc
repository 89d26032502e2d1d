#include "guard/sample_table.h"

#include <cstdint>
#include <map>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace guard {
namespace {

struct Seen {
  uint64_t live = 0;
  uint64_t allocations = 0;
  uint64_t live_bytes = 0;
  uint64_t allocated_bytes = 0;
};

// What ForEachSample reports, by the stack's first frame.
std::map<void*, Seen> Collect(const SampleTable& table) {
  std::map<void*, Seen> seen;
  table.ForEachSample([&](size_t size, void* const* stack, int depth,
                          uint64_t live, uint64_t allocations) {
    Seen& s = seen[depth > 0 ? stack[0] : nullptr];
    s.live += live;
    s.allocations += allocations;
    s.live_bytes += live * size;
    s.allocated_bytes += allocations * size;
  });
  return seen;
}

void* Frame(uintptr_t n) { return reinterpret_cast<void*>(n); }

class SampleTableTest : public ::testing::Test {
 protected:
  MmapMapper mmap_;
  FaultInjectingMapper<MmapMapper> mapper_{&mmap_};
  SampleTable table_{"large", MapperRef(&mapper_)};
};

TEST_F(SampleTableTest, EmptyUntilTheFirstSample) {
  EXPECT_TRUE(Collect(table_).empty());
  EXPECT_EQ(table_.bytes(), 0u);
  EXPECT_EQ(mapper_.calls(MapperOp::kReserve), 0u);
}

TEST_F(SampleTableTest, LiveSamplesAndSitesBySize) {
  void* a[] = {Frame(0x1000), Frame(0x2000)};
  void* b[] = {Frame(0x3000)};
  const uint32_t a1 = table_.Add(1 << 20, 100, a, 2);
  const uint32_t a2 = table_.Add(1 << 20, 200, a, 2);
  const uint32_t a3 = table_.Add(3 << 20, 300, a, 2);  // another site
  const uint32_t b1 = table_.Add(5 << 20, 400, b, 1);
  for (uint32_t h : {a1, a2, a3, b1}) EXPECT_NE(h, 0u);
  EXPECT_GT(table_.bytes(), 0u);
  EXPECT_STREQ(table_.class_name(), "large");

  std::map<void*, Seen> seen = Collect(table_);
  EXPECT_EQ(seen[Frame(0x1000)].live, 3u);
  EXPECT_EQ(seen[Frame(0x1000)].live_bytes, uint64_t{5} << 20);
  EXPECT_EQ(seen[Frame(0x1000)].allocations, 3u);
  EXPECT_EQ(seen[Frame(0x1000)].allocated_bytes, uint64_t{5} << 20);
  EXPECT_EQ(seen[Frame(0x3000)].live, 1u);
  EXPECT_EQ(seen[Frame(0x3000)].allocated_bytes, uint64_t{5} << 20);

  EXPECT_EQ(table_.Remove(a2), 200u);
  EXPECT_EQ(table_.Remove(b1), 400u);
  seen = Collect(table_);
  EXPECT_EQ(seen[Frame(0x1000)].live, 2u);
  EXPECT_EQ(seen[Frame(0x1000)].live_bytes, uint64_t{4} << 20);
  EXPECT_EQ(seen[Frame(0x3000)].live, 0u);
  // Allocations since start are not undone by releases.
  EXPECT_EQ(seen[Frame(0x1000)].allocations, 3u);
  EXPECT_EQ(seen[Frame(0x3000)].allocations, 1u);

  size_t held = 0, held_bytes = 0;
  table_.ForEachHeld([&](size_t size, void* const* stack, int depth) {
    EXPECT_EQ(depth, 2);
    EXPECT_EQ(stack[1], Frame(0x2000));
    ++held;
    held_bytes += size;
  });
  EXPECT_EQ(held, 2u);
  EXPECT_EQ(held_bytes, size_t{4} << 20);
  EXPECT_EQ(table_.Remove(a1), 100u);
  EXPECT_EQ(table_.Remove(a3), 300u);
}

TEST_F(SampleTableTest, ResetCountsFromZeroAndKeepsLiveSamples) {
  void* a[] = {Frame(0x1000)};
  const uint32_t h = table_.Add(1 << 20, 1, a, 1);
  (void)table_.Remove(table_.Add(1 << 20, 1, a, 1));
  table_.Reset();
  std::map<void*, Seen> seen = Collect(table_);
  EXPECT_EQ(seen[Frame(0x1000)].allocations, 0u);
  EXPECT_EQ(seen[Frame(0x1000)].live, 1u);
  (void)table_.Add(2 << 20, 1, a, 1);
  seen = Collect(table_);
  EXPECT_EQ(seen[Frame(0x1000)].allocations, 1u);
  EXPECT_EQ(seen[Frame(0x1000)].allocated_bytes, uint64_t{2} << 20);
  EXPECT_EQ(seen[Frame(0x1000)].live, 2u);
  (void)h;
}

TEST_F(SampleTableTest, FullTableDropsSamplesButCountsTheirSites) {
  void* a[] = {Frame(0x1000)};
  std::vector<uint32_t> handles;
  for (size_t i = 0; i < SampleTable::kCapacity; ++i) {
    handles.push_back(table_.Add(4096, 1, a, 1));
    ASSERT_NE(handles.back(), 0u);
  }
  EXPECT_EQ(table_.Add(4096, 1, a, 1), 0u);
  std::map<void*, Seen> seen = Collect(table_);
  EXPECT_EQ(seen[Frame(0x1000)].live, SampleTable::kCapacity);
  EXPECT_EQ(seen[Frame(0x1000)].allocations, SampleTable::kCapacity + 1);
  // A freed record is taken again.
  (void)table_.Remove(handles[7]);
  EXPECT_EQ(table_.Add(4096, 1, a, 1), handles[7]);
}

TEST_F(SampleTableTest, DistinctStacksBeyondTheSitesShareTheLast) {
  for (uintptr_t i = 1; i <= SampleTable::kSites + 10; ++i) {
    void* stack[] = {Frame(i << 12)};
    ASSERT_NE(table_.Add(8192, 1, stack, 1), 0u);
  }
  uint64_t allocations = 0;
  size_t sites = 0;
  table_.ForEachSample(
      [&](size_t size, void* const*, int, uint64_t live, uint64_t n) {
        if (live != 0) return;
        EXPECT_EQ(size, 8192u);
        allocations += n;
        ++sites;
      });
  EXPECT_EQ(allocations, SampleTable::kSites + 10);
  EXPECT_EQ(sites, SampleTable::kSites);
}

TEST_F(SampleTableTest, NoMemoryNoRecord) {
  mapper_.FailAll(MapperOp::kCommit, true);
  void* a[] = {Frame(0x1000)};
  EXPECT_EQ(table_.Add(4096, 1, a, 1), 0u);
  EXPECT_TRUE(Collect(table_).empty());
  EXPECT_EQ(table_.bytes(), 0u);
  mapper_.Heal();
  EXPECT_NE(table_.Add(4096, 1, a, 1), 0u);
}

}  // namespace
}  // namespace guard
}  // namespace slabkit

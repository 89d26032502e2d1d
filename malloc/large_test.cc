#include "malloc/large.h"

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/mmap_mapper.h"
#include "slab/chunk.h"
#include "slab/page_map.h"

namespace slabkit {
namespace malloc {
namespace {

MmapMapper mmap_mapper;

TEST(LargeAllocatorTest, BlocksAreZeroedAlignedAndMarked) {
  LargeAllocator large{MapperRef(&mmap_mapper)};
  for (size_t alignment : {size_t{1}, size_t{4096}, size_t{1} << 16,
                           size_t{2} << 20, size_t{8} << 20}) {
    for (size_t size : {size_t{300000}, size_t{5} << 20, size_t{1}}) {
      char* p = static_cast<char*>(large.Allocate(size, alignment));
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u);
      for (size_t i = 0; i < size; i += 4096) ASSERT_EQ(p[i], 0);
      memset(p, 0xab, size);
      EXPECT_EQ(slab::LookupClass(p), slab::kLargeChunk);
      EXPECT_EQ(slab::LookupClass(p + size - 1), slab::kLargeChunk);
      const slab::Location loc = slab::Locate(p);
      EXPECT_TRUE(loc.large);
      EXPECT_EQ(loc.class_id, 0u);
      size_t usable = 0;
      EXPECT_EQ(large.Find(p, &usable), LargeAllocator::FindResult::kBlock);
      EXPECT_EQ(usable, RoundUp(size, 4096));
      EXPECT_EQ(large.Find(p + 1, nullptr),
                LargeAllocator::FindResult::kInterior);
      EXPECT_EQ(large.Find(p + usable - 1, nullptr),
                LargeAllocator::FindResult::kInterior);
      EXPECT_EQ(large.Free(p + 8), LargeAllocator::FindResult::kInterior);
      EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
      EXPECT_EQ(slab::LookupClass(p), 0u);
      EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kNone);
    }
  }
  const LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.allocations, 15u);
  EXPECT_EQ(s.releases, 15u);
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.committed_bytes, 0u);
  EXPECT_EQ(s.reserved_bytes, 0u);
}

// Sampled blocks are in samples() while live, whether their window is new
// or retained, and their free hands back what they stood for.
TEST(LargeAllocatorTest, SampledBlocksAreRecordedUntilFreed) {
  for (LargeAllocator::Retention retention :
       {LargeAllocator::Retention::kUnmap, LargeAllocator::Retention::kReuse,
        LargeAllocator::Retention::kQuarantine}) {
    LargeAllocator large{MapperRef(&mmap_mapper), retention, 64 << 20, "big"};
    auto held = [&large] {
      size_t n = 0, bytes = 0;
      large.samples().ForEachHeld([&](size_t size, void* const*, int) {
        ++n;
        bytes += size;
      });
      return std::make_pair(n, bytes);
    };
    void* frame = reinterpret_cast<void*>(0x1234);
    for (int round = 0; round < 40; ++round) {  // later rounds reuse windows
      LargeAllocator::Sample sample{1000 + uint64_t(round), &frame, 1, false};
      void* sampled = large.Allocate(300000, 0, true, &sample);
      ASSERT_NE(sampled, nullptr);
      EXPECT_TRUE(sample.recorded);
      void* plain = large.Allocate(300000, 0, true);
      ASSERT_NE(plain, nullptr);
      EXPECT_EQ(held(), std::make_pair(size_t{1}, size_t{300000}));
      uint64_t weighted = 7;
      EXPECT_EQ(large.Free(plain, &weighted),
                LargeAllocator::FindResult::kBlock);
      EXPECT_EQ(weighted, 0u);
      EXPECT_EQ(large.Free(sampled, &weighted),
                LargeAllocator::FindResult::kBlock);
      EXPECT_EQ(weighted, 1000u + round);
      EXPECT_EQ(held(), std::make_pair(size_t{0}, size_t{0}));
    }
    EXPECT_STREQ(large.samples().class_name(), "big");
    uint64_t allocations = 0;
    large.samples().ForEachSample([&](size_t, void* const*, int, uint64_t,
                                      uint64_t n) { allocations += n; });
    EXPECT_EQ(allocations, 40u);
    large.ResetSampleSites();
    allocations = 0;
    large.samples().ForEachSample([&](size_t, void* const*, int, uint64_t,
                                      uint64_t n) { allocations += n; });
    EXPECT_EQ(allocations, 0u);
    (void)large.ReleaseRetained();
  }
}

TEST(LargeAllocatorTest, UnknownAddressesAreNone) {
  LargeAllocator large{MapperRef(&mmap_mapper)};
  int local;
  EXPECT_EQ(large.Find(&local, nullptr), LargeAllocator::FindResult::kNone);
  EXPECT_EQ(large.Free(&local), LargeAllocator::FindResult::kNone);
}

// Thousands of live blocks: the record table grows and every block stays
// findable, then frees leave it consistent (backward-shift deletion).
TEST(LargeAllocatorTest, ManyBlocks) {
  LargeAllocator large{MapperRef(&mmap_mapper)};
  std::vector<char*> blocks;
  for (int i = 0; i < 3000; ++i) {
    // Every tenth block spans several chunks.
    const size_t size = i % 10 == 0 ? (9 << 20) : 300000 + i;
    char* p = static_cast<char*>(large.Allocate(size, 0));
    ASSERT_NE(p, nullptr) << i;
    p[0] = static_cast<char>(i);
    blocks.push_back(p);
  }
  for (size_t i = 0; i < blocks.size(); i += 2) {
    ASSERT_EQ(large.Free(blocks[i]), LargeAllocator::FindResult::kBlock);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto expected = i % 2 == 0 ? LargeAllocator::FindResult::kNone
                                     : LargeAllocator::FindResult::kBlock;
    ASSERT_EQ(large.Find(blocks[i], nullptr), expected) << i;
    if (i % 2 == 1) {
      ASSERT_EQ(blocks[i][0], static_cast<char>(i));
    }
  }
  for (size_t i = 1; i < blocks.size(); i += 2) {
    ASSERT_EQ(large.Free(blocks[i]), LargeAllocator::FindResult::kBlock);
  }
  EXPECT_EQ(large.GetStats().live, 0u);
}

TEST(LargeAllocatorTest, ResizeInPlace) {
  LargeAllocator large{MapperRef(&mmap_mapper)};
  char* p = static_cast<char*>(large.Allocate(300000, 0));
  ASSERT_NE(p, nullptr);
  memset(p, 1, 300000);
  // The window is 4 MiB: growth to just under it stays in place.
  ASSERT_TRUE(large.Resize(p, 3 << 20));
  memset(p, 2, 3 << 20);
  size_t usable = 0;
  ASSERT_EQ(large.Find(p, &usable), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(usable, size_t{3} << 20);
  EXPECT_FALSE(large.Resize(p, 4 << 20));  // no guard page would be left
  ASSERT_TRUE(large.Resize(p, 100000));
  ASSERT_EQ(large.Find(p, &usable), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(usable, RoundUp(100000, 4096));
  EXPECT_EQ(p[99999], 2);
  // Growing again reads zeros past the old end.
  ASSERT_TRUE(large.Resize(p, 200000));
  EXPECT_EQ(p[150000], 0);
  EXPECT_FALSE(large.Resize(p + 1, 1000));
  EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
}

TEST(LargeAllocatorDeathTest, GuardsFault) {
  LargeAllocator large{MapperRef(&mmap_mapper)};
  char* p = static_cast<char*>(large.Allocate(300000, 0));
  ASSERT_NE(p, nullptr);
  EXPECT_DEATH(p[RoundUp(300000, 4096)] = 1, "");
  EXPECT_DEATH(p[-1] = 1, "");
  ASSERT_TRUE(large.Resize(p, 100000));
  EXPECT_DEATH(p[RoundUp(100000, 4096)] = 1, "");
}

// Every mapper call a block needs can fail: the result is ENOMEM, nothing
// stays mapped or marked, and the next call works.
TEST(LargeAllocatorTest, MapperFailuresAreEnomem) {
  FaultInjectingMapper<MmapMapper> faulty(&mmap_mapper);
  LargeAllocator large{MapperRef(&faulty)};
  for (MapperOp op : {MapperOp::kReserve, MapperOp::kCommit}) {
    // The first block also maps the record table: fail each call in turn.
    for (uint64_t n = 1; n <= 3; ++n) {
      faulty.FailNth(op, n);
      errno = 0;
      void* p = large.Allocate(1 << 20, 0);
      if (p == nullptr) {
        EXPECT_EQ(errno, ENOMEM);
      } else {
        EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
      }
      faulty.Heal();
      EXPECT_EQ(large.GetStats().live, 0u);
      EXPECT_EQ(large.GetStats().reserved_bytes, 0u);
      // Whatever was reserved was released again.
      EXPECT_EQ(faulty.calls(MapperOp::kReserve) -
                    faulty.failures(MapperOp::kReserve) -
                    (large.GetStats().metadata_bytes > 0 ? 1 : 0),
                faulty.calls(MapperOp::kRelease))
          << static_cast<int>(op) << " " << n;
    }
  }
  void* p = large.Allocate(1 << 20, 0);
  ASSERT_NE(p, nullptr);
  // A failed growth leaves the block as it was.
  faulty.FailNth(MapperOp::kCommit, 1);
  EXPECT_FALSE(large.Resize(p, 2 << 20));
  size_t usable = 0;
  ASSERT_EQ(large.Find(p, &usable), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(usable, size_t{1} << 20);
  EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
}

// Retained for reuse, a freed block stays known (a second free is kFreed), and
// the next request for a window of its size gets it back with no mapper call.
TEST(LargeAllocatorReuseTest, FreedBlocksAreReusedWithoutMapperCalls) {
  FaultInjectingMapper<MmapMapper> counted(&mmap_mapper);
  LargeAllocator large{MapperRef(&counted), LargeAllocator::Retention::kReuse,
                       64 << 20};
  char* p = static_cast<char*>(large.Allocate(3 << 20, 0));
  ASSERT_NE(p, nullptr);
  memset(p, 0x5a, 3 << 20);
  ASSERT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kFreed);
  EXPECT_EQ(large.Find(p, nullptr), LargeAllocator::FindResult::kFreed);
  EXPECT_FALSE(large.Resize(p, 1 << 20));
  LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.retained_blocks, 1u);
  EXPECT_EQ(s.retained_bytes, size_t{3} << 20);

  const uint64_t calls =
      counted.calls(MapperOp::kReserve) + counted.calls(MapperOp::kCommit) +
      counted.calls(MapperOp::kDecommit) + counted.calls(MapperOp::kRelease);
  // Smaller, in the same 4 MiB window, and zeroed on request.
  char* q = static_cast<char*>(large.Allocate(2 << 20, 0, /*zero=*/true));
  EXPECT_EQ(q, p);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[(2 << 20) - 1], 0);
  EXPECT_EQ(counted.calls(MapperOp::kReserve) +
                counted.calls(MapperOp::kCommit) +
                counted.calls(MapperOp::kDecommit) +
                counted.calls(MapperOp::kRelease),
            calls);
  size_t usable = 0;
  ASSERT_EQ(large.Find(q, &usable), LargeAllocator::FindResult::kBlock);
  EXPECT_GE(usable, size_t{2} << 20);  // what was committed is kept
  s = large.GetStats();
  EXPECT_EQ(s.reuses, 1u);
  EXPECT_EQ(s.retained_blocks, 0u);
  EXPECT_EQ(s.live, 1u);

  // Larger in the same window: commits only the difference, still there.
  ASSERT_EQ(large.Free(q), LargeAllocator::FindResult::kBlock);
  char* r = static_cast<char*>(large.Allocate((4 << 20) - 3 * 4096, 0));
  EXPECT_EQ(r, p);
  memset(r, 1, (4 << 20) - 3 * 4096);
  ASSERT_EQ(large.Free(r), LargeAllocator::FindResult::kBlock);

  // A different window size misses; releasing what is retained unmaps.
  char* other = static_cast<char*>(large.Allocate(6 << 20, 0));
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other, p);
  EXPECT_EQ(large.ReleaseRetained(), (size_t{4} << 20) - 3 * 4096);
  EXPECT_EQ(large.Find(p, nullptr), LargeAllocator::FindResult::kNone);
  EXPECT_EQ(slab::LookupClass(p), 0u);
  EXPECT_EQ(large.Free(other), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.ReleaseRetained(), size_t{6} << 20);
  EXPECT_EQ(large.GetStats().retained_reserved_bytes, 0u);
}

// A block reuses a retained window of up to twice its own window's size
// whose committed pages are at most twice its own, keeping them as usable
// size; a window holding more, or more than twice as large, is left for
// bigger blocks.
TEST(LargeAllocatorReuseTest, BlocksReuseWindowsUpToTwiceTheirSize) {
  FaultInjectingMapper<MmapMapper> counted(&mmap_mapper);
  LargeAllocator large{MapperRef(&counted), LargeAllocator::Retention::kReuse,
                       64 << 20};
  auto mapper_calls = [&counted] {
    return counted.calls(MapperOp::kReserve) +
           counted.calls(MapperOp::kCommit) +
           counted.calls(MapperOp::kDecommit) +
           counted.calls(MapperOp::kRelease);
  };
  // An 8 MiB window with 5 MiB committed serves 3 MiB (a 4 MiB window).
  char* p = static_cast<char*>(large.Allocate(5 << 20, 0));
  ASSERT_NE(p, nullptr);
  memset(p, 0x5a, 5 << 20);
  ASSERT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
  uint64_t calls = mapper_calls();
  char* q = static_cast<char*>(large.Allocate(3 << 20, 0, /*zero=*/true));
  EXPECT_EQ(q, p);
  EXPECT_EQ(mapper_calls(), calls);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[(5 << 20) - 1], 0);  // the kept pages are zeroed too
  size_t usable = 0;
  ASSERT_EQ(large.Find(q, &usable), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(usable, size_t{5} << 20);
  LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.reserved_bytes, size_t{8} << 20);
  EXPECT_EQ(s.committed_bytes, size_t{5} << 20);
  ASSERT_EQ(large.Free(q), LargeAllocator::FindResult::kBlock);

  // 1 MiB: 5 MiB committed is more than twice that, so a new window.
  char* small = static_cast<char*>(large.Allocate(1 << 20, 0));
  ASSERT_NE(small, nullptr);
  EXPECT_NE(small, p);
  EXPECT_EQ(large.Find(p, nullptr), LargeAllocator::FindResult::kFreed);
  ASSERT_EQ(large.Free(small), LargeAllocator::FindResult::kBlock);

  // 9 MiB (a 12 MiB window) fits neither; 16 MiB windows do not serve 3 MiB.
  char* big = static_cast<char*>(large.Allocate(9 << 20, 0));
  EXPECT_NE(big, p);
  EXPECT_NE(big, small);
  char* huge = static_cast<char*>(large.Allocate(13 << 20, 0));
  ASSERT_EQ(large.Free(huge), LargeAllocator::FindResult::kBlock);
  char* r = static_cast<char*>(large.Allocate(3 << 20, 0));
  EXPECT_NE(r, huge);
  EXPECT_EQ(r, p);  // the 8 MiB window again, over the 4 MiB one (fuller)
  s = large.GetStats();
  EXPECT_EQ(s.reuses, 2u);
  EXPECT_EQ(large.Free(r), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.Free(big), LargeAllocator::FindResult::kBlock);
  large.ReleaseRetained();
  EXPECT_EQ(large.GetStats().retained_reserved_bytes, 0u);
}

// The retained bytes' limit is the larger of `reuse_bytes` and half the
// live blocks' committed bytes: a program with many large blocks live
// keeps more of its freed ones for reuse.
TEST(LargeAllocatorReuseTest, RetainedLimitGrowsWithLiveBlocks) {
  LargeAllocator large{MapperRef(&mmap_mapper),
                       LargeAllocator::Retention::kReuse, 8 << 20};
  std::vector<char*> blocks;
  for (int i = 0; i < 10; ++i) {
    blocks.push_back(static_cast<char*>(large.Allocate(3 << 20, 0)));
    ASSERT_NE(blocks.back(), nullptr);
  }
  // 30 MiB live; freeing three leaves 21 MiB (a limit of 10.5 MiB): the
  // three (9 MiB) stay, where 8 MiB alone would keep two.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(large.Free(blocks[i]), LargeAllocator::FindResult::kBlock);
  LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.retained_blocks, 3u);
  EXPECT_EQ(s.retained_bytes, size_t{9} << 20);
  // With every block freed the limit is 8 MiB again.
  for (int i = 3; i < 10; ++i)
    ASSERT_EQ(large.Free(blocks[i]), LargeAllocator::FindResult::kBlock);
  s = large.GetStats();
  EXPECT_LE(s.retained_bytes, size_t{8} << 20);
  EXPECT_EQ(s.retained_blocks, 2u);
  EXPECT_EQ(large.Find(blocks[9], nullptr), LargeAllocator::FindResult::kFreed);
  EXPECT_EQ(large.Find(blocks[0], nullptr), LargeAllocator::FindResult::kNone);
  large.ReleaseRetained();
}

// Reuse retains at most kRetainedSlots blocks and its byte limit, evicting
// the oldest; a block larger than the limit is unmapped at once.
TEST(LargeAllocatorReuseTest, EvictsOldestBeyondItsLimits) {
  LargeAllocator large{MapperRef(&mmap_mapper),
                       LargeAllocator::Retention::kReuse, 40 << 20};
  std::vector<char*> blocks;
  for (int i = 0; i < LargeAllocator::kRetainedSlots + 4; ++i) {
    blocks.push_back(static_cast<char*>(large.Allocate(1 << 20, 0)));
    ASSERT_NE(blocks.back(), nullptr);
  }
  for (char* p : blocks)
    ASSERT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
  LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.retained_blocks,
            static_cast<size_t>(LargeAllocator::kRetainedSlots));
  EXPECT_EQ(large.Find(blocks[0], nullptr), LargeAllocator::FindResult::kNone);
  EXPECT_EQ(large.Find(blocks.back(), nullptr),
            LargeAllocator::FindResult::kFreed);

  // 3 x 16 MiB against a 40 MiB limit: the first two stay, then the oldest
  // goes; 48 MiB is never retained.
  char* big[3];
  for (char*& p : big) p = static_cast<char*>(large.Allocate(16 << 20, 0));
  char* huge = static_cast<char*>(large.Allocate(48 << 20, 0));
  for (char* p : big)
    ASSERT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
  ASSERT_EQ(large.Free(huge), LargeAllocator::FindResult::kBlock);
  s = large.GetStats();
  EXPECT_LE(s.retained_bytes, size_t{40} << 20);
  EXPECT_EQ(large.Find(big[0], nullptr), LargeAllocator::FindResult::kNone);
  EXPECT_EQ(large.Find(big[2], nullptr), LargeAllocator::FindResult::kFreed);
  EXPECT_EQ(large.Find(huge, nullptr), LargeAllocator::FindResult::kNone);
  large.ReleaseRetained();
}

// The hardened flavour's quarantine: a freed block's pages fault, it is
// known as freed, and its window goes to no other block until
// kRetainedSlots more have been freed (these within half the byte budget);
// then it is reused, with no new mapping.
TEST(LargeAllocatorQuarantineTest, FreedWindowsAreKeptOffLimits) {
  LargeAllocator large{MapperRef(&mmap_mapper),
                       LargeAllocator::Retention::kQuarantine, 64 << 20};
  char* first = static_cast<char*>(large.Allocate(1 << 20, 0));
  ASSERT_NE(first, nullptr);
  memset(first, 1, 1 << 20);
  ASSERT_EQ(large.Free(first), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.Free(first), LargeAllocator::FindResult::kFreed);
  EXPECT_DEATH(first[0] = 1, "");
  LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.retained_blocks, 1u);
  // Blocks of the same size, made and freed: none takes the window while
  // it is in quarantine.
  std::set<char*> seen;
  for (int i = 0; i < LargeAllocator::kRetainedSlots - 1; ++i) {
    char* p = static_cast<char*>(large.Allocate(1 << 20, 0));
    ASSERT_NE(p, nullptr);
    EXPECT_NE(p, first);
    seen.insert(p);
    ASSERT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
  }
  EXPECT_EQ(large.Find(first, nullptr), LargeAllocator::FindResult::kFreed);
  EXPECT_EQ(large.GetStats().reuses, 0u);
  // One more free: the oldest leaves quarantine, and the next block of its
  // size takes it, usable again and holding its bytes (the mapper has
  // Unprotect), with no new mapping.
  char* last = static_cast<char*>(large.Allocate(1 << 20, 0));
  EXPECT_EQ(seen.count(last), 0u);
  ASSERT_EQ(large.Free(last), LargeAllocator::FindResult::kBlock);
  char* again = static_cast<char*>(large.Allocate(1 << 20, 0, /*zero=*/false));
  EXPECT_EQ(again, first);
  EXPECT_EQ(large.GetStats().reuses, 1u);
  EXPECT_EQ(again[0], 1);
  again[(1 << 20) - 1] = 2;
  ASSERT_EQ(large.Free(again), LargeAllocator::FindResult::kBlock);
  large.ReleaseRetained();
  EXPECT_EQ(large.Find(last, nullptr), LargeAllocator::FindResult::kNone);
  EXPECT_EQ(large.GetStats().retained_blocks, 0u);
}

// Past its byte budget, the quarantine gives the oldest windows' pages back
// but keeps the windows (still known as freed, still faulting).
TEST(LargeAllocatorQuarantineTest, PagesOverTheBudgetGoBack) {
  LargeAllocator large{MapperRef(&mmap_mapper),
                       LargeAllocator::Retention::kQuarantine, 2 << 20};
  char* blocks[4];
  for (char*& b : blocks) {
    b = static_cast<char*>(large.Allocate(1 << 20, 0));
    ASSERT_NE(b, nullptr);
    memset(b, 1, 1 << 20);
  }
  for (char* b : blocks)
    ASSERT_EQ(large.Free(b), LargeAllocator::FindResult::kBlock);
  const LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.retained_blocks, 4u);
  EXPECT_LE(s.retained_bytes, size_t{2} << 20);
  for (char* b : blocks) {
    EXPECT_EQ(large.Find(b, nullptr), LargeAllocator::FindResult::kFreed);
  }
  EXPECT_DEATH(blocks[0][0] = 1, "");
  large.ReleaseRetained();
}

// Without the mapper's Unprotect, a window out of quarantine is given back
// and commits again as zeros.
TEST(LargeAllocatorQuarantineTest, WithoutUnprotectReusedPagesReadZeros) {
  FaultInjectingMapper<MmapMapper> plain(&mmap_mapper);  // no Unprotect
  LargeAllocator large{MapperRef(&plain),
                       LargeAllocator::Retention::kQuarantine, 64 << 20};
  char* first = static_cast<char*>(large.Allocate(1 << 20, 0));
  ASSERT_NE(first, nullptr);
  memset(first, 1, 1 << 20);
  ASSERT_EQ(large.Free(first), LargeAllocator::FindResult::kBlock);
  for (int i = 0; i < LargeAllocator::kRetainedSlots; ++i) {
    ASSERT_EQ(large.Free(large.Allocate(2 << 20, 0)),
              LargeAllocator::FindResult::kBlock);
  }
  char* again = static_cast<char*>(large.Allocate(1 << 20, 0, /*zero=*/false));
  EXPECT_EQ(again, first);
  for (size_t i = 0; i < (1 << 20); i += 4096) ASSERT_EQ(again[i], 0) << i;
  ASSERT_EQ(large.Free(again), LargeAllocator::FindResult::kBlock);
  large.ReleaseRetained();
}

// Decay: a retained window goes back at the second pass that finds it
// retained (kReuse: unmapped), unless it was reused in between.
TEST(LargeAllocatorReuseTest, DecayUnmapsWindowsRetainedForAWholePass) {
  LargeAllocator large{MapperRef(&mmap_mapper),
                       LargeAllocator::Retention::kReuse, 64 << 20};
  char* a = static_cast<char*>(large.Allocate(1 << 20, 0));
  char* b = static_cast<char*>(large.Allocate(3 << 20, 0));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(large.Free(a), LargeAllocator::FindResult::kBlock);
  ASSERT_EQ(large.Free(b), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.Decay(/*aged=*/true), 0u) << "retained for no pass yet";
  // Reused and freed again: young again.
  char* again = static_cast<char*>(large.Allocate(1 << 20, 0));
  EXPECT_EQ(again, a);
  ASSERT_EQ(large.Free(again), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.Decay(/*aged=*/true), size_t{3} << 20);
  EXPECT_EQ(large.Find(b, nullptr), LargeAllocator::FindResult::kNone);
  EXPECT_EQ(large.Find(a, nullptr), LargeAllocator::FindResult::kFreed);
  LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.retained_blocks, 1u);
  EXPECT_EQ(s.returned_bytes, size_t{3} << 20);
  EXPECT_EQ(large.Decay(/*aged=*/true), size_t{1} << 20);
  s = large.GetStats();
  EXPECT_EQ(s.retained_blocks, 0u);
  EXPECT_EQ(s.retained_bytes, 0u);
  EXPECT_EQ(s.retained_reserved_bytes, 0u);
  EXPECT_EQ(s.returned_bytes, size_t{4} << 20);
}

// In quarantine, decay gives the pages back but keeps the window: still
// known as freed, still faulting; and a mapper that refuses leaves it as it
// was, for a later pass.
TEST(LargeAllocatorQuarantineTest, DecayGivesPagesBackAndKeepsTheWindow) {
  FaultInjectingMapper<MmapMapper> faulty(&mmap_mapper);
  LargeAllocator large{MapperRef(&faulty),
                       LargeAllocator::Retention::kQuarantine, 64 << 20};
  char* p = static_cast<char*>(large.Allocate(2 << 20, 0));
  ASSERT_NE(p, nullptr);
  memset(p, 1, 2 << 20);
  ASSERT_EQ(large.Free(p), LargeAllocator::FindResult::kBlock);
  EXPECT_EQ(large.Decay(/*aged=*/true), 0u);
  faulty.FailAll(MapperOp::kDecommit, true);
  EXPECT_EQ(large.Decay(/*aged=*/true), 0u);
  EXPECT_EQ(large.GetStats().retained_bytes, size_t{2} << 20);
  faulty.Heal();
  EXPECT_EQ(large.Decay(/*aged=*/true), size_t{2} << 20);
  const LargeAllocator::Stats s = large.GetStats();
  EXPECT_EQ(s.retained_blocks, 1u);
  EXPECT_EQ(s.retained_bytes, 0u);
  EXPECT_EQ(s.returned_bytes, size_t{2} << 20);
  EXPECT_EQ(large.Free(p), LargeAllocator::FindResult::kFreed);
  EXPECT_DEATH(p[0] = 1, "");
}

TEST(LargeAllocatorTest, HugeSizesFail) {
  LargeAllocator large{MapperRef(&mmap_mapper)};
  errno = 0;
  EXPECT_EQ(large.Allocate(~size_t{0} - 4096, 0), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(large.Allocate(size_t{1} << 50, 0), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

}  // namespace
}  // namespace malloc
}  // namespace slabkit

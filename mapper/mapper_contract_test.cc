// The mapper contract (mapper.h), checked once for every mapper slabkit ships.
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/file_mapper.h"
#include "mapper/fixed_region_mapper.h"
#include "mapper/mapper.h"
#include "mapper/mmap_mapper.h"
#include "mapper/thp_mapper.h"

namespace slabkit {
namespace {

static_assert(IsMapper<MmapMapper>::value);
static_assert(IsMapper<ThpMapper>::value);
static_assert(IsMapper<FileMapper>::value);
static_assert(IsMapper<FixedRegionMapper>::value);
static_assert(!IsMapper<int>::value);

// Each harness owns one mapper and says which guarantees need the OS.
struct MmapHarness {
  static constexpr bool kFaultsOnGuard = true;
  MmapMapper mapper;
};
struct ThpHarness {
  static constexpr bool kFaultsOnGuard = true;
  ThpMapper mapper;
};
struct FileHarness {
  static constexpr bool kFaultsOnGuard = true;
  FileMapper mapper{getenv("TEST_TMPDIR")};
};
struct FixedHarness {
  static constexpr bool kFaultsOnGuard = false;
  static constexpr size_t kBytes = size_t{64} << 20;
  std::unique_ptr<char[]> buffer{new char[kBytes]};
  FixedRegionMapper mapper{buffer.get(), kBytes};
};

template <typename H>
class MapperContractTest : public testing::Test {
 protected:
  H harness_;
  decltype(H::mapper)& mapper() { return harness_.mapper; }
  size_t page() { return mapper().page_size(); }
};

using Harnesses =
    testing::Types<MmapHarness, ThpHarness, FileHarness, FixedHarness>;
TYPED_TEST_SUITE(MapperContractTest, Harnesses);

TYPED_TEST(MapperContractTest, PageSizeIsAPowerOfTwo) {
  EXPECT_TRUE(IsPowerOfTwo(this->page()));
}

TYPED_TEST(MapperContractTest, ReserveHonoursAlignment) {
  for (size_t alignment : {this->page(), size_t{1} << 16, size_t{4} << 20}) {
    absl::StatusOr<void*> p =
        this->mapper().Reserve(4 * this->page(), alignment);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(*p) % alignment, 0u);
    EXPECT_TRUE(this->mapper().Release(*p, 4 * this->page()).ok());
  }
}

TYPED_TEST(MapperContractTest, CommitGivesZeroedWritableMemory) {
  const size_t size = 16 * this->page();
  absl::StatusOr<void*> p = this->mapper().Reserve(size, this->page());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(this->mapper().Commit(*p, size).ok());
  auto* bytes = static_cast<unsigned char*>(*p);
  for (size_t i = 0; i < size; ++i) ASSERT_EQ(bytes[i], 0) << i;
  memset(bytes, 0xAB, size);
  EXPECT_EQ(bytes[size - 1], 0xAB);
  EXPECT_TRUE(this->mapper().Release(*p, size).ok());
}

TYPED_TEST(MapperContractTest, DecommitThenCommitReadsZerosAgain) {
  const size_t size = 8 * this->page();
  absl::StatusOr<void*> p = this->mapper().Reserve(size, this->page());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(this->mapper().Commit(*p, size).ok());
  memset(*p, 0x5A, size);
  ASSERT_TRUE(this->mapper().Decommit(*p, size).ok());
  auto* bytes = static_cast<unsigned char*>(*p);
  if (TypeParam::kFaultsOnGuard) {
    // Decommitted memory stays readable, as zeros.
    for (size_t i = 0; i < size; ++i) ASSERT_EQ(bytes[i], 0) << i;
  }
  ASSERT_TRUE(this->mapper().Commit(*p, size).ok());
  for (size_t i = 0; i < size; ++i) ASSERT_EQ(bytes[i], 0) << i;
  EXPECT_TRUE(this->mapper().Release(*p, size).ok());
}

TYPED_TEST(MapperContractTest, BadArgumentsAreRefused) {
  const size_t page = this->page();
  EXPECT_EQ(this->mapper().Reserve(0, page).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->mapper().Reserve(page + 1, page).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->mapper().Reserve(page, 3 * page).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<void*> p = this->mapper().Reserve(2 * page, page);
  ASSERT_TRUE(p.ok());
  char* unaligned = static_cast<char*>(*p) + 1;
  EXPECT_EQ(this->mapper().Commit(unaligned, page).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->mapper().Commit(*p, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(this->mapper().Release(*p, 2 * page).ok());
}

TYPED_TEST(MapperContractTest, ReservationsNeverOverlapAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 16;
  const size_t size = 4 * this->page();
  std::vector<std::vector<uintptr_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<void*> p = this->mapper().Reserve(size, this->page());
        if (p.ok()) got[t].push_back(reinterpret_cast<uintptr_t>(*p));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uintptr_t> starts;
  for (const auto& v : got) {
    EXPECT_EQ(v.size(), static_cast<size_t>(kPerThread));
    starts.insert(v.begin(), v.end());
  }
  ASSERT_EQ(starts.size(), static_cast<size_t>(kThreads * kPerThread));
  uintptr_t prev_end = 0;
  for (uintptr_t s : starts) {
    EXPECT_GE(s, prev_end);
    prev_end = s + size;
  }
  for (uintptr_t s : starts) {
    EXPECT_TRUE(this->mapper().Release(reinterpret_cast<void*>(s), size).ok());
  }
}

TYPED_TEST(MapperContractTest, GuardsAndUncommittedMemoryFault) {
  if (!TypeParam::kFaultsOnGuard)
    GTEST_SKIP() << "mapper cannot enforce guards";
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  const size_t page = this->page();
  absl::StatusOr<void*> p = this->mapper().Reserve(2 * page, page);
  ASSERT_TRUE(p.ok());
  volatile char* reserved = static_cast<char*>(*p);
  EXPECT_DEATH(reserved[0] = 1, "");
  ASSERT_TRUE(this->mapper().Commit(*p, 2 * page).ok());
  reserved[page] = 1;
  ASSERT_TRUE(this->mapper().Protect(*p, page).ok());
  EXPECT_DEATH(reserved[0] = 1, "");
  EXPECT_EQ(reserved[page], 1);
  EXPECT_TRUE(this->mapper().Release(*p, 2 * page).ok());
}

// The optional Unprotect, where a mapper has it (through MapperRef, as
// users call it): a guard made by Protect is usable again, its bytes kept.
TYPED_TEST(MapperContractTest, UnprotectUndoesProtectKeepingTheBytes) {
  MapperRef ref(&this->mapper());
  if (!ref.CanUnprotect()) GTEST_SKIP() << "mapper has no Unprotect";
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  const size_t page = this->page();
  absl::StatusOr<void*> p = ref.Reserve(2 * page, page);
  ASSERT_TRUE(p.ok());
  volatile char* bytes = static_cast<char*>(*p);
  ASSERT_TRUE(ref.Commit(*p, 2 * page).ok());
  bytes[1] = 42;
  ASSERT_TRUE(ref.Protect(*p, page).ok());
  if (TypeParam::kFaultsOnGuard) {
    EXPECT_DEATH(bytes[1] = 1, "");
  }
  ASSERT_TRUE(ref.Unprotect(*p, page).ok());
  EXPECT_EQ(bytes[1], 42);
  bytes[0] = 7;  // writable again
  EXPECT_EQ(bytes[0], 7);
  EXPECT_FALSE(ref.Unprotect(static_cast<char*>(*p) + 1, page).ok())
      << "a range off the page grid is refused";
  EXPECT_TRUE(ref.Release(*p, 2 * page).ok());
}

}  // namespace
}  // namespace slabkit

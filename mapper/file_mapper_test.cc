#include "mapper/file_mapper.h"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"

namespace slabkit {
namespace {

blkcnt_t FileBlocks(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  return st.st_blocks;
}

TEST(FileMapperTest, DataLivesInAnUnlinkedFile) {
  FileMapper mapper(getenv("TEST_TMPDIR"));
  EXPECT_EQ(mapper.fd(), -1) << "no file before the first reservation";
  const size_t size = 64 * mapper.page_size();
  absl::StatusOr<void*> p = mapper.Reserve(size, mapper.page_size());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_GE(mapper.fd(), 0);
  struct stat st;
  ASSERT_EQ(fstat(mapper.fd(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u) << "the file must be unlinked";
  const blkcnt_t sparse = FileBlocks(mapper.fd());

  ASSERT_TRUE(mapper.Commit(*p, size).ok());
  EXPECT_GT(FileBlocks(mapper.fd()), sparse) << "commit allocates blocks";
  memset(*p, 0x42, size);
  char byte = 0;
  ASSERT_EQ(pread(mapper.fd(), &byte, 1, 0), 1);
  EXPECT_EQ(byte, 0x42) << "writes through the mapping land in the file";

  ASSERT_TRUE(mapper.Decommit(*p, size).ok());
  EXPECT_EQ(FileBlocks(mapper.fd()), sparse) << "decommit punches a hole";
  EXPECT_TRUE(mapper.Release(*p, size).ok());
}

TEST(FileMapperTest, MissingDirectoryIsAnError) {
  FileMapper mapper("/nonexistent/slabkit-test-dir");
  absl::StatusOr<void*> p =
      mapper.Reserve(mapper.page_size(), mapper.page_size());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
}

TEST(FileMapperTest, ForeignRangesAreRefused) {
  FileMapper mapper(getenv("TEST_TMPDIR"));
  alignas(4096) static char outside[4096];
  EXPECT_EQ(mapper.Commit(outside, sizeof(outside)).code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<void*> p =
      mapper.Reserve(mapper.page_size(), mapper.page_size());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(mapper.Release(*p, 2 * mapper.page_size()).code(),
            absl::StatusCode::kInvalidArgument)
      << "release must name a whole reservation";
  EXPECT_TRUE(mapper.Release(*p, mapper.page_size()).ok());
}

}  // namespace
}  // namespace slabkit

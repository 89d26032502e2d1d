#include "mapper/file_mapper.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

// A forked child must neither write into its parent's file memory nor
// punch holes in it: the inherited range refuses Commit and Decommit and
// faults on access, while the child's new reservations go to its own file.
// The parent's data is untouched.
TEST(FileMapperTest, ForkedChildLeavesTheParentsMemoryAlone) {
  FileMapper mapper(getenv("TEST_TMPDIR"));
  const size_t size = 4 * mapper.page_size();
  absl::StatusOr<void*> p = mapper.Reserve(size, mapper.page_size());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(mapper.Commit(*p, size).ok());
  memset(*p, 0x5a, size);
  const int parent_fd = mapper.fd();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  mapper.LockForFork();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    mapper.UnlockInForkChild();
    char verdict = 'y';
    if (mapper.Commit(*p, size).code() !=
            absl::StatusCode::kFailedPrecondition ||
        mapper.Decommit(*p, size).code() !=
            absl::StatusCode::kFailedPrecondition) {
      verdict = 'c';
    }
    absl::StatusOr<void*> q = mapper.Reserve(size, mapper.page_size());
    if (!q.ok() || !mapper.Commit(*q, size).ok() || mapper.fd() < 0) {
      verdict = 'r';
    } else {
      memset(*q, 0x11, size);  // its own file: the parent's is untouched
    }
    if (write(pipe_fds[1], &verdict, 1) != 1) _exit(3);
    signal(SIGSEGV, SIG_DFL);  // not a sanitizer's handler: die of it
    static_cast<volatile char*>(*p)[0] = 1;  // must fault
    _exit(0);
  }
  mapper.UnlockAfterFork();
  close(pipe_fds[1]);
  char verdict = 0;
  EXPECT_EQ(read(pipe_fds[0], &verdict, 1), 1);
  close(pipe_fds[0]);
  EXPECT_EQ(verdict, 'y');
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
      << "the child wrote into the parent's memory";
  for (size_t i = 0; i < size; ++i) {
    ASSERT_EQ(static_cast<char*>(*p)[i], 0x5a) << "byte " << i;
  }
  EXPECT_EQ(mapper.fd(), parent_fd);
  // The parent's next reservation does not collide with anything.
  absl::StatusOr<void*> more = mapper.Reserve(size, mapper.page_size());
  ASSERT_TRUE(more.ok());
  ASSERT_TRUE(mapper.Commit(*more, size).ok());
  EXPECT_EQ(static_cast<char*>(*more)[0], 0);
  EXPECT_TRUE(mapper.Release(*more, size).ok());
  EXPECT_TRUE(mapper.Release(*p, size).ok());
}

}  // namespace
}  // namespace slabkit

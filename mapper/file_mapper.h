// FileMapper: object data in an unlinked file, so the kernel can page cold
// classes out to that file instead of swap (Slitter's future feature a).
#ifndef SLABKIT_MAPPER_FILE_MAPPER_H_
#define SLABKIT_MAPPER_FILE_MAPPER_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slabkit {

// Every reservation is a MAP_SHARED view of its own range of one unlinked,
// sparse file created in `directory` on first use (O_TMPFILE where the file
// system has it, otherwise mkstemp and unlink). Commit allocates the file's
// blocks with fallocate, so a full disk is an error status instead of a
// SIGBUS later; Decommit punches a hole, which frees the blocks and makes the
// range read as zeros again. At most kMaxReservations ranges are live at once.
//
// fork(): the file's mappings are shared, so a child that kept them would
// write into its parent's memory, and both would hand out the same file
// offsets. In a child (of a process whose allocators are built, see
// mapper.h), every range inherited from the parent is made inaccessible and
// refuses Commit and Decommit (so the child cannot write to, or punch holes
// in, the parent's memory: an access faults), and new reservations go to a
// new file of the child's own. Classes on this mapper are therefore not
// usable in a forked child; others are.
class FileMapper {
 public:
  static constexpr int kMaxReservations = 1024;

  // `directory` must outlive the mapper. nullptr means $SLABKIT_FILE_DIR,
  // else $TMPDIR, else /tmp, read when the file is created.
  constexpr explicit FileMapper(const char* directory = nullptr)
      : directory_(directory) {}
  ~FileMapper();
  FileMapper(const FileMapper&) = delete;
  FileMapper& operator=(const FileMapper&) = delete;

  size_t page_size() const;
  const char* name() const { return "file"; }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment);
  absl::Status Commit(void* addr, size_t size);
  absl::Status Decommit(void* addr, size_t size);
  absl::Status Protect(void* addr, size_t size);
  absl::Status Release(void* addr, size_t size);

  // The file's descriptor, or -1 before the first reservation.
  int fd() const;

  // Fork safety (mapper.h): takes and releases the mapper's lock; in the
  // child, first detaches from the parent's file (above).
  void LockForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }
  void UnlockInForkChild() ABSL_NO_THREAD_SAFETY_ANALYSIS;

 private:
  struct Range {
    uintptr_t base;
    size_t size;
    off_t offset;    // where the range starts in the file
    bool inherited;  // the parent's, in a forked child: off limits
  };

  absl::Status OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The file offset of [addr, addr+size), which must lie in one reservation
  // of this process's file (FailedPrecondition for an inherited one).
  absl::StatusOr<off_t> OffsetOf(const void* addr, size_t size) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const char* directory_;
  mutable std::mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  off_t file_end_ ABSL_GUARDED_BY(mu_) = 0;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
  Range ranges_[kMaxReservations] ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_FILE_MAPPER_H_

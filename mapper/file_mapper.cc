#include "mapper/file_mapper.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <mutex>

#include "mapper/mapper.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace {

const char* DirectoryFromEnvironment() {
  for (const char* var : {"SLABKIT_FILE_DIR", "TMPDIR"}) {
    const char* dir = getenv(var);
    if (dir != nullptr && dir[0] != '\0') return dir;
  }
  return "/tmp";
}

}  // namespace

FileMapper::~FileMapper() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) close(fd_);
}

size_t FileMapper::page_size() const { return SystemPageSize(); }

int FileMapper::fd() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fd_;
}

absl::Status FileMapper::OpenLocked() {
  if (fd_ >= 0) return absl::OkStatus();
  const char* dir =
      directory_ != nullptr ? directory_ : DirectoryFromEnvironment();
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE on this file system: create a named file and unlink it.
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/slabkit-XXXXXX", dir);
    if (n < 0 || static_cast<size_t>(n) >= sizeof(path)) {
      return CodeStatus(absl::StatusCode::kInvalidArgument);
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0) unlink(path);
  }
  if (fd < 0) return ErrnoStatus(errno);
  fd_ = fd;
  return absl::OkStatus();
}

absl::StatusOr<off_t> FileMapper::OffsetOf(const void* addr,
                                           size_t size) const {
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  for (int i = 0; i < count_; ++i) {
    const Range& r = ranges_[i];
    if (a >= r.base && a - r.base <= r.size && size <= r.size - (a - r.base)) {
      if (r.inherited) return CodeStatus(absl::StatusCode::kFailedPrecondition);
      return r.offset + static_cast<off_t>(a - r.base);
    }
  }
  return CodeStatus(absl::StatusCode::kInvalidArgument);
}

absl::StatusOr<void*> FileMapper::Reserve(size_t size, size_t alignment) {
  std::lock_guard<std::mutex> lock(mu_);
  if (count_ == kMaxReservations) {
    return CodeStatus(absl::StatusCode::kResourceExhausted);
  }
  if (absl::Status s = OpenLocked(); !s.ok()) return s;
  absl::StatusOr<void*> space = ReserveAligned(size, alignment);
  if (!space.ok()) return space.status();
  const off_t offset = file_end_;
  // Grow the (sparse) file first: a mapping beyond its end would SIGBUS.
  if (ftruncate(fd_, offset + static_cast<off_t>(size)) != 0) {
    const int err = errno;
    munmap(*space, size);
    return ErrnoStatus(err);
  }
  void* p = mmap(*space, size, PROT_NONE, MAP_SHARED | MAP_FIXED, fd_, offset);
  if (p == MAP_FAILED) {
    const int err = errno;
    munmap(*space, size);
    return ErrnoStatus(err);
  }
  file_end_ = offset + static_cast<off_t>(size);
  ranges_[count_++] =
      Range{reinterpret_cast<uintptr_t>(p), size, offset, /*inherited=*/false};
  return p;
}

absl::Status FileMapper::Commit(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<off_t> offset = OffsetOf(addr, size);
  if (!offset.ok()) return offset.status();
  if (fallocate(fd_, 0, *offset, static_cast<off_t>(size)) != 0) {
    return ErrnoStatus(errno);
  }
  if (mprotect(addr, size, PROT_READ | PROT_WRITE) != 0) {
    return ErrnoStatus(errno);
  }
  return absl::OkStatus();
}

absl::Status FileMapper::Decommit(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<off_t> offset = OffsetOf(addr, size);
  if (!offset.ok()) return offset.status();
  if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, *offset,
                static_cast<off_t>(size)) != 0) {
    return ErrnoStatus(errno);
  }
  return absl::OkStatus();
}

absl::Status FileMapper::Protect(void* addr, size_t size) {
  if (!IsPageRange(addr, size, page_size())) {
    return CodeStatus(absl::StatusCode::kInvalidArgument);
  }
  if (mprotect(addr, size, PROT_NONE) != 0) return ErrnoStatus(errno);
  return absl::OkStatus();
}

absl::Status FileMapper::Release(void* addr, size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  for (int i = 0; i < count_; ++i) {
    Range& r = ranges_[i];
    if (r.base != a || r.size != size) continue;
    if (munmap(addr, size) != 0) return ErrnoStatus(errno);
    // The file's blocks go back too; its offsets are not reused (the file is
    // sparse, so the gap costs nothing). Not an inherited range's: they are
    // the parent's.
    if (!r.inherited) {
      (void)fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, r.offset,
                      static_cast<off_t>(size));
    }
    r = ranges_[--count_];
    return absl::OkStatus();
  }
  return CodeStatus(absl::StatusCode::kInvalidArgument);
}

void FileMapper::UnlockInForkChild() {
  for (int i = 0; i < count_; ++i) {
    Range& r = ranges_[i];
    (void)mprotect(reinterpret_cast<void*>(r.base), r.size, PROT_NONE);
    r.inherited = true;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = -1;  // the next Reserve opens the child's own file
  file_end_ = 0;
  mu_.unlock();
}

}  // namespace slabkit

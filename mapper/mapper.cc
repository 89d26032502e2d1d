#include "mapper/mapper.h"

#include <cerrno>

namespace slabkit {

absl::Status ErrnoStatus(int err) {
  switch (err) {
    case 0:
      return absl::OkStatus();
    case ENOMEM:
    case EAGAIN:
    case ENOSPC:
    case EFBIG:
    case EMFILE:
    case ENFILE:
      return CodeStatus(absl::StatusCode::kResourceExhausted);
    case EINVAL:
      return CodeStatus(absl::StatusCode::kInvalidArgument);
    case EACCES:
    case EPERM:
    case EROFS:
      return CodeStatus(absl::StatusCode::kPermissionDenied);
    case ENOENT:
    case ENOTDIR:
      return CodeStatus(absl::StatusCode::kNotFound);
    case EOPNOTSUPP:
      return CodeStatus(absl::StatusCode::kUnimplemented);
    default:
      return CodeStatus(absl::StatusCode::kInternal);
  }
}

}  // namespace slabkit

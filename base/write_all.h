// WriteAll: all of a buffer to a file descriptor, as diagnostics, reports
// and heap profiles write. Async-signal-safe (write(2) only, no stdio, no
// allocation), and safe inside malloc. Retries short writes and EINTR; gives
// up silently on any other error (a diagnostic has nowhere else to go).
#ifndef SLABKIT_BASE_WRITE_ALL_H_
#define SLABKIT_BASE_WRITE_ALL_H_

#include <cstddef>

namespace slabkit {

void WriteAll(int fd, const char* data, size_t n);

}  // namespace slabkit

#endif  // SLABKIT_BASE_WRITE_ALL_H_

// Misuse diagnostics: one line on stderr naming the kind of misuse, the
// address and the class, then abort. Safe to call from inside malloc: it
// formats into a stack buffer and writes with write(2).
#ifndef SLABKIT_GUARD_REPORT_H_
#define SLABKIT_GUARD_REPORT_H_

#include <cstdint>

namespace slabkit {

enum class Misuse {
  kWrongClass,         // released to a class other than the one that owns it
  kUnmanaged,          // the address is not slabkit's (stack, libc heap, wild)
  kInterior,           // inside slabkit memory but not the start of an object
  kDoubleFree,         // the object is already free
  kNeverAllocated,     // an object slot that was never handed out
  kUnknownClass,       // the class handle names no registered class
  kSizeMismatch,       // a sized release (free_sized, sized delete) whose size
                       // or alignment the object was not allocated with
  kReleasedObject,     // realloc or malloc_usable_size of a released object
  kOverflow,           // bytes past the end or before the start of a block were
                       // written (its canary or its neighbour's), seen on free
  kWriteAfterFree,     // a freed block was written, seen when handed out again
  kMismatchedRelease,  // released by another family than it was allocated
                       // by (free of new, delete of new[], ...)
  kZeroSizeAccess,     // a read or write of a zero-size block (malloc(0))
};

// Misuse reported so far in this process (each one aborts, so this is read
// by whatever runs after: a signal handler, a core dump's reader).
uint64_t MisuseEvents();
// Those reported against class `class_id`.
uint64_t MisuseEvents(uint32_t class_id);

// The words the diagnostic uses for `kind` ("double free", ...).
const char* MisuseName(Misuse kind);

// Describes the misuse and aborts the process. The line reads
//   slabkit: <kind>: address 0x..., class "<name>" (id N)[; <detail>]
// where for kWrongClass the detail names the class that owns the address
// (owner_name, owner_id), and for the others it is owner_name as given
// ("allocated by new[], released by delete"). `class_name` may be null when
// the class is unknown.
[[noreturn]] void ReportMisuse(Misuse kind, const void* address,
                               const char* class_name, uint32_t class_id,
                               const char* owner_name = nullptr,
                               uint32_t owner_id = 0);

// Names the call a report is made from when that call releases nothing
// (malloc_usable_size, realloc's look-up of its block): while one is in
// scope on a thread, a kind that reads "release of ..." reads "<call> of
// ..." instead ("malloc_usable_size of an interior pointer"). Scopes nest.
class ScopedMisuseCall {
 public:
  explicit ScopedMisuseCall(const char* call);
  ~ScopedMisuseCall();
  ScopedMisuseCall(const ScopedMisuseCall&) = delete;
  ScopedMisuseCall& operator=(const ScopedMisuseCall&) = delete;

 private:
  const char* const outer_;
};

}  // namespace slabkit

#endif  // SLABKIT_GUARD_REPORT_H_

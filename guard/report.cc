#include "guard/report.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_format.h"
#include "base/write_all.h"
#include "slab/page_map.h"

namespace slabkit {
namespace {
std::atomic<uint64_t> misuse_events{0};
// By class id (ids beyond the page map's count only in the total).
constexpr uint32_t kClasses = slab::kMaxClasses;
std::atomic<uint32_t> misuse_by_class[kClasses];
// The innermost ScopedMisuseCall's call on this thread, or null. Initial
// exec, as the caches' (magazine/class_cache.h): no TLS call, which could
// allocate, inside malloc.
__thread const char* misuse_call __attribute__((tls_model("initial-exec"))) =
    nullptr;
}  // namespace

ScopedMisuseCall::ScopedMisuseCall(const char* call) : outer_(misuse_call) {
  misuse_call = call;
}

ScopedMisuseCall::~ScopedMisuseCall() { misuse_call = outer_; }

uint64_t MisuseEvents() {
  return misuse_events.load(std::memory_order_relaxed);
}

uint64_t MisuseEvents(uint32_t class_id) {
  return class_id < kClasses
             ? misuse_by_class[class_id].load(std::memory_order_relaxed)
             : 0;
}

const char* MisuseName(Misuse kind) {
  switch (kind) {
    case Misuse::kWrongClass:
      return "release to the wrong class";
    case Misuse::kUnmanaged:
      return "release of an address slabkit does not manage";
    case Misuse::kInterior:
      return "release of an interior pointer";
    case Misuse::kDoubleFree:
      return "double free";
    case Misuse::kNeverAllocated:
      return "release of an object that was never allocated";
    case Misuse::kUnknownClass:
      return "release to an unknown class";
    case Misuse::kSizeMismatch:
      return "sized release with the wrong size";
    case Misuse::kReleasedObject:
      return "use of a released object";
    case Misuse::kOverflow:
      return "heap buffer overflow";
    case Misuse::kWriteAfterFree:
      return "write after free";
    case Misuse::kMismatchedRelease:
      return "mismatched release";
    case Misuse::kZeroSizeAccess:
      return "access to a zero-size block";
  }
  return "misuse";
}

void ReportMisuse(Misuse kind, const void* address, const char* class_name,
                  uint32_t class_id, const char* owner_name,
                  uint32_t owner_id) {
  misuse_events.fetch_add(1, std::memory_order_relaxed);
  if (class_id < kClasses) {
    misuse_by_class[class_id].fetch_add(1, std::memory_order_relaxed);
  }
  char line[512];
  const char* name = MisuseName(kind);
  constexpr char kRelease[] = "release of ";
  const char* call = misuse_call;
  const bool renamed =
      call != nullptr && strncmp(name, kRelease, sizeof(kRelease) - 1) == 0;
  int n = absl::SNPrintF(line, sizeof(line),
                         "slabkit: %s%s%s: address %p, class \"%s\" (id %u)",
                         renamed ? call : "", renamed ? " of " : "",
                         renamed ? name + sizeof(kRelease) - 1 : name, address,
                         class_name != nullptr ? class_name : "?", class_id);
  if (n >= 0 && static_cast<size_t>(n) < sizeof(line) &&
      kind == Misuse::kWrongClass) {
    n += absl::SNPrintF(line + n, sizeof(line) - n,
                        "; it belongs to class \"%s\" (id %u)",
                        owner_name != nullptr ? owner_name : "?", owner_id);
  } else if (n >= 0 && static_cast<size_t>(n) < sizeof(line) &&
             owner_name != nullptr) {
    n += absl::SNPrintF(line + n, sizeof(line) - n, "; %s", owner_name);
  }
  if (n < 0) n = 0;
  if (static_cast<size_t>(n) >= sizeof(line) - 1) n = sizeof(line) - 2;
  line[n++] = '\n';
  WriteAll(STDERR_FILENO, line, static_cast<size_t>(n));
  abort();
}

}  // namespace slabkit

// SLABKIT_OPTIONS: comma-separated key=value settings read from the
// environment when the process-wide allocators start (docs/options.md).
// Parsed without allocating. Unknown keys and bad values are reported with a
// warning on stderr and ignored.
#ifndef SLABKIT_STATS_OPTIONS_H_
#define SLABKIT_STATS_OPTIONS_H_

#include <cstdint>

#include "stats/heap_profile.h"
#include "stats/report.h"

namespace slabkit {

struct Options {
  bool stats_at_exit = false;  // stats=1
  char stats_file[256] = {};   // stats_file=PATH (empty: stderr)
  ReportFormat stats_format =
      ReportFormat::kText;       // stats_format=text|json|prometheus
  int64_t sample_interval = -1;  // sample_interval=N (-1: unset)
  bool profile_at_exit = false;  // profile=1
  char profile_file[256] = {};   // profile_file=PATH
  ProfileFormat profile_format =
      ProfileFormat::kText;                       // profile_format=text|proto
  ProfileKind profile_kind = ProfileKind::kHeap;  // profile_kind=heap|peak
  int profile_signal = 0;                         // profile_signal=N (0: none)
  // decay_ms=N: idle memory goes back to the OS after about N ms (0: at
  // once, -1: never); background_thread=0|1: who gives it back
  // (allocator/decay.h).
  int64_t decay_ms = 100;
  bool background_thread = false;
};

// Parses `text` (may be null) into `options`; warnings go to `warn_fd`.
// Returns the number of warnings.
int ParseOptions(const char* text, Options* options, int warn_fd);

}  // namespace slabkit

#endif  // SLABKIT_STATS_OPTIONS_H_

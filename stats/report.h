// Reports of an allocator's stats: a human-readable table, or JSON with
// stable field names (docs/stats.md). Written to a file descriptor with
// write(2) from a stack buffer: no allocation, so a report can run at exit,
// or from code that must not allocate.
#ifndef SLABKIT_STATS_REPORT_H_
#define SLABKIT_STATS_REPORT_H_

#include "stats/class_stats.h"

namespace slabkit {

enum class ReportFormat { kText, kJson };

// Streams a report: Begin, one Class per class, End.
class ReportWriter {
 public:
  ReportWriter(int fd, ReportFormat format) : fd_(fd), format_(format) {}
  void Begin(const char* allocator, const GlobalStats& global);
  void Class(const ClassStats& s);
  void End();

 private:
  void Printf(const char* format, ...) __attribute__((format(printf, 2, 3)));

  const int fd_;
  const ReportFormat format_;
  bool first_class_ = true;
};

// A whole report of `allocator` (anything with GetGlobalStats and
// ForEachClass, as SlabAllocator has), named `name`.
template <typename A>
void WriteReport(const A& allocator, const char* name, int fd,
                 ReportFormat format) {
  ReportWriter writer(fd, format);
  writer.Begin(name, allocator.GetGlobalStats());
  allocator.ForEachClass([&writer](const ClassStats& s) { writer.Class(s); });
  writer.End();
}

}  // namespace slabkit

#endif  // SLABKIT_STATS_REPORT_H_

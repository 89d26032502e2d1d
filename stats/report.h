// Reports of an allocator's stats: a human-readable table, JSON with stable
// field names, or Prometheus' text exposition format (docs/stats.md). Written
// to a file descriptor with write(2) from a stack buffer: no allocation, so a
// report can run at exit, or from code that must not allocate.
#ifndef SLABKIT_STATS_REPORT_H_
#define SLABKIT_STATS_REPORT_H_

#include "stats/class_stats.h"

namespace slabkit {

enum class ReportFormat { kText, kJson, kPrometheus };

// The C API's numbering (SLABKIT_REPORT_*): 0 text, 1 JSON, 2 Prometheus.
// False for another number.
inline bool ReportFormatFromNumber(int number, ReportFormat* format) {
  if (number < 0 || number > 2) return false;
  *format = static_cast<ReportFormat>(number);
  return true;
}

// Prometheus' format gives each metric family's samples as one group, after
// its # HELP and # TYPE lines, so a Prometheus report is written a family
// at a time: family 0 of every allocator reported, then family 1, ...
// (0 <= family < PrometheusFamilyCount()). kAllFamilies: every family in
// turn, each after its header (one allocator's whole report).
inline constexpr int kAllFamilies = -1;
int PrometheusFamilyCount();
void WritePrometheusHeader(int fd, int family);

// Streams a report: Begin, one Class per class (when WantsClasses), End.
// `family` selects the Prometheus family written (not kAllFamilies); text
// and JSON ignore it.
class ReportWriter {
 public:
  ReportWriter(int fd, ReportFormat format, int family)
      : fd_(fd), format_(format), family_(family) {}
  void Begin(const char* allocator, const GlobalStats& global);
  // False when Class would write nothing (a Prometheus family of the
  // allocator or its mappers): the caller need not visit the classes.
  bool WantsClasses() const;
  void Class(const ClassStats& s);
  void End();

 private:
  void Printf(const char* format, ...) __attribute__((format(printf, 2, 3)));
  void BeginPrometheus(const GlobalStats& global);
  void ClassPrometheus(const ClassStats& s);

  const int fd_;
  const ReportFormat format_;
  const int family_;
  bool first_class_ = true;
  char allocator_label_[128] = {};  // Prometheus: escaped, for every sample
};

// A whole report of `allocator` (anything with GetGlobalStats and
// ForEachClass, as SlabAllocator has), named `name`; in Prometheus format,
// `family` as in ReportWriter, or kAllFamilies.
template <typename A>
void WriteReport(const A& allocator, const char* name, int fd,
                 ReportFormat format, int family = kAllFamilies) {
  if (format == ReportFormat::kPrometheus && family == kAllFamilies) {
    for (int f = 0; f < PrometheusFamilyCount(); ++f) {
      WritePrometheusHeader(fd, f);
      WriteReport(allocator, name, fd, format, f);
    }
    return;
  }
  ReportWriter writer(fd, format, family);
  writer.Begin(name, allocator.GetGlobalStats());
  if (writer.WantsClasses()) {
    allocator.ForEachClass([&writer](const ClassStats& s) { writer.Class(s); });
  }
  writer.End();
}

}  // namespace slabkit

#endif  // SLABKIT_STATS_REPORT_H_

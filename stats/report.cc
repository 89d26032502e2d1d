#include "stats/report.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>

#include "base/write_all.h"

namespace slabkit {
namespace {

// Class and mapper names are the program's: escape them for JSON.
void JsonString(const char* in, char* out, size_t size) {
  size_t n = 0;
  for (; in != nullptr && *in != '\0' && n + 7 < size; ++in) {
    const unsigned char c = static_cast<unsigned char>(*in);
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = static_cast<char>(c);
    } else if (c < 0x20) {
      n += static_cast<size_t>(snprintf(out + n, size - n, "\\u%04x", c));
    } else {
      out[n++] = static_cast<char>(c);
    }
  }
  out[n] = '\0';
}

// Label values for Prometheus: backslash, double quote and newline escaped.
void PrometheusLabel(const char* in, char* out, size_t size) {
  size_t n = 0;
  for (; in != nullptr && *in != '\0' && n + 3 < size; ++in) {
    if (*in == '\\' || *in == '"') {
      out[n++] = '\\';
      out[n++] = *in;
    } else if (*in == '\n') {
      out[n++] = '\\';
      out[n++] = 'n';
    } else {
      out[n++] = *in;
    }
  }
  out[n] = '\0';
}

// A Prometheus metric family: one value per allocator, per mapper of an
// allocator, or per class.
enum class Scope { kAllocator, kMapper, kClass };
struct Family {
  const char* name;
  const char* type;  // "counter" (named *_total) or "gauge"
  const char* help;
  Scope scope;
  // The value of the one member that matches `scope`; a negative value
  // means "not known" (kernel_mappings), and no sample is written.
  int64_t (*of_allocator)(const GlobalStats&);
  int64_t (*of_mapper)(const MapperStats&);
  int64_t (*of_class)(const ClassStats&);
};

#define SLABKIT_ALLOCATOR_FAMILY(metric, type, help, field)                 \
  {                                                                         \
    "slabkit_" metric, type, help, Scope::kAllocator,                       \
        [](const GlobalStats& g) { return static_cast<int64_t>(g.field); }, \
        nullptr, nullptr                                                    \
  }
#define SLABKIT_MAPPER_FAMILY(metric, help, field)                          \
  {                                                                         \
    "slabkit_" metric, "gauge", help, Scope::kMapper, nullptr,              \
        [](const MapperStats& m) { return static_cast<int64_t>(m.field); }, \
        nullptr                                                             \
  }
#define SLABKIT_CLASS_FAMILY(metric, type, help, field)                   \
  {                                                                       \
    "slabkit_class_" metric, type, help, Scope::kClass, nullptr, nullptr, \
        [](const ClassStats& c) { return static_cast<int64_t>(c.field); } \
  }

// The names are the JSON report's fields, with Prometheus' conventions:
// counters end in _total, sizes in _bytes (docs/stats.md).
const Family kFamilies[] = {
    SLABKIT_ALLOCATOR_FAMILY("classes", "gauge", "Classes registered.",
                             classes),
    SLABKIT_ALLOCATOR_FAMILY("reserved_bytes", "gauge",
                             "Address space of every class's chunks.",
                             reserved_bytes),
    SLABKIT_ALLOCATOR_FAMILY("committed_bytes", "gauge",
                             "Memory committed for the classes.",
                             committed_bytes),
    SLABKIT_ALLOCATOR_FAMILY("idle_bytes", "gauge",
                             "Committed in spans with no live object.",
                             idle_bytes),
    SLABKIT_ALLOCATOR_FAMILY("returned_bytes_total", "counter",
                             "Memory given back to the OS.", returned_bytes),
    SLABKIT_ALLOCATOR_FAMILY("metadata_bytes", "gauge",
                             "Class records and magazines.", metadata_bytes),
    SLABKIT_ALLOCATOR_FAMILY("kernel_mappings", "gauge",
                             "The process's kernel mappings.", kernel_mappings),
    SLABKIT_ALLOCATOR_FAMILY("misuse_events_total", "counter",
                             "Misuse reported in the process.", misuse_events),
    SLABKIT_MAPPER_FAMILY("mapper_reserved_bytes",
                          "Address space from one mapper.", reserved_bytes),
    SLABKIT_MAPPER_FAMILY("mapper_committed_bytes",
                          "Memory committed from one mapper.", committed_bytes),
    SLABKIT_CLASS_FAMILY("object_size_bytes", "gauge",
                         "The stride objects are carved at.", object_size),
    SLABKIT_CLASS_FAMILY("allocations_total", "counter", "Allocations.",
                         allocations),
    SLABKIT_CLASS_FAMILY("releases_total", "counter", "Releases.", releases),
    SLABKIT_CLASS_FAMILY("live_objects", "gauge",
                         "Objects allocated and not released.", live),
    SLABKIT_CLASS_FAMILY("in_use_bytes", "gauge", "Live objects' bytes.",
                         in_use_bytes),
    SLABKIT_CLASS_FAMILY("cache_hits_total", "counter",
                         "Allocations the fast path served.", cache_hits),
    SLABKIT_CLASS_FAMILY("cache_misses_total", "counter",
                         "Allocations that took the slow path.", cache_misses),
    SLABKIT_CLASS_FAMILY("misuse_events_total", "counter",
                         "Misuse reported against the class.", misuse_events),
    SLABKIT_CLASS_FAMILY("from_slab_total", "counter",
                         "Objects handed out by the slab.", from_slab),
    SLABKIT_CLASS_FAMILY("to_slab_total", "counter",
                         "Objects given back to the slab.", to_slab),
    SLABKIT_CLASS_FAMILY("peak_out_of_slab", "gauge",
                         "Most objects out of the slab at once.",
                         peak_out_of_slab),
    SLABKIT_CLASS_FAMILY("chunks", "gauge", "Chunks reserved.", chunks),
    SLABKIT_CLASS_FAMILY("spans", "gauge", "Spans opened.", spans),
    SLABKIT_CLASS_FAMILY("reserved_bytes", "gauge", "Address space reserved.",
                         reserved_bytes),
    SLABKIT_CLASS_FAMILY("committed_bytes", "gauge", "Memory committed.",
                         committed_bytes),
    SLABKIT_CLASS_FAMILY("decommitted_spans", "gauge",
                         "Spans given back, addresses kept.",
                         decommitted_spans),
    SLABKIT_CLASS_FAMILY("idle_bytes", "gauge",
                         "Committed in spans with no live object.", idle_bytes),
    SLABKIT_CLASS_FAMILY("returned_bytes_total", "counter",
                         "Memory given back to the OS.", returned_bytes),
    SLABKIT_CLASS_FAMILY("magazine_capacity", "gauge",
                         "Objects a magazine holds.", magazine_capacity),
    SLABKIT_CLASS_FAMILY("magazines", "gauge", "Magazines made.", magazines),
    SLABKIT_CLASS_FAMILY("depot_objects", "gauge",
                         "Objects in the depot's magazines.", depot_objects),
    SLABKIT_CLASS_FAMILY("thread_cached_objects", "gauge",
                         "Objects in the reporting thread's magazines.",
                         thread_cached_objects),
    SLABKIT_CLASS_FAMILY("depot_exchanges_total", "counter",
                         "Magazines taken from or given to the depot.",
                         depot_exchanges),
};

#undef SLABKIT_ALLOCATOR_FAMILY
#undef SLABKIT_MAPPER_FAMILY
#undef SLABKIT_CLASS_FAMILY

constexpr int kFamilyCount = sizeof(kFamilies) / sizeof(kFamilies[0]);

// Family `i`, or nullptr when there is none.
const Family* FamilyAt(int i) {
  return i >= 0 && i < kFamilyCount ? &kFamilies[i] : nullptr;
}

}  // namespace

int PrometheusFamilyCount() { return kFamilyCount; }

void WritePrometheusHeader(int fd, int family) {
  const Family* f = FamilyAt(family);
  if (f == nullptr) return;
  char line[512];
  const int n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n",
                         f->name, f->help, f->name, f->type);
  if (n > 0 && static_cast<size_t>(n) < sizeof(line)) {
    WriteAll(fd, line, static_cast<size_t>(n));
  }
}

void ReportWriter::Printf(const char* format, ...) {
  char line[1024];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  if (n < 0) return;
  if (static_cast<size_t>(n) >= sizeof(line)) n = sizeof(line) - 1;
  WriteAll(fd_, line, static_cast<size_t>(n));
}

void ReportWriter::Begin(const char* allocator, const GlobalStats& g) {
  if (format_ == ReportFormat::kPrometheus) {
    PrometheusLabel(allocator, allocator_label_, sizeof(allocator_label_));
    BeginPrometheus(g);
    return;
  }
  if (format_ == ReportFormat::kText) {
    Printf(
        "slabkit stats: %s: %u class%s, %zu KiB reserved, %zu KiB "
        "committed (%zu KiB idle), %zu KiB returned, %zu KiB metadata, %lld "
        "kernel mappings, %llu misuse\n",
        allocator, g.classes, g.classes == 1 ? "" : "es",
        g.reserved_bytes >> 10, g.committed_bytes >> 10, g.idle_bytes >> 10,
        g.returned_bytes >> 10, g.metadata_bytes >> 10,
        static_cast<long long>(g.kernel_mappings),
        static_cast<unsigned long long>(g.misuse_events));
    for (int m = 0; m < g.mappers; ++m) {
      Printf("  mapper %-10s %10zu KiB reserved %10zu KiB committed\n",
             g.by_mapper[m].name, g.by_mapper[m].reserved_bytes >> 10,
             g.by_mapper[m].committed_bytes >> 10);
    }
    Printf("  %-4s %-20s %7s %10s %10s %9s %9s %7s %6s %11s %9s\n", "id",
           "class", "object", "allocs", "releases", "live", "misses", "cached",
           "spans", "committed", "idle");
    return;
  }
  char name[256];
  JsonString(allocator, name, sizeof(name));
  Printf(
      "{\"allocator\":\"%s\",\"classes\":%u,\"reserved_bytes\":%zu,"
      "\"committed_bytes\":%zu,\"idle_bytes\":%zu,\"returned_bytes\":%zu,"
      "\"metadata_bytes\":%zu,"
      "\"kernel_mappings\":%lld,\"misuse_events\":%llu,\"mappers\":[",
      name, g.classes, g.reserved_bytes, g.committed_bytes, g.idle_bytes,
      g.returned_bytes, g.metadata_bytes,
      static_cast<long long>(g.kernel_mappings),
      static_cast<unsigned long long>(g.misuse_events));
  for (int m = 0; m < g.mappers; ++m) {
    JsonString(g.by_mapper[m].name, name, sizeof(name));
    Printf("%s{\"name\":\"%s\",\"reserved_bytes\":%zu,\"committed_bytes\":%zu}",
           m == 0 ? "" : ",", name, g.by_mapper[m].reserved_bytes,
           g.by_mapper[m].committed_bytes);
  }
  Printf("],\"class_stats\":[");
}

bool ReportWriter::WantsClasses() const {
  if (format_ != ReportFormat::kPrometheus) return true;
  const Family* f = FamilyAt(family_);
  return f != nullptr && f->scope == Scope::kClass;
}

void ReportWriter::BeginPrometheus(const GlobalStats& g) {
  const Family* f = FamilyAt(family_);
  if (f == nullptr) return;
  if (f->scope == Scope::kAllocator) {
    const int64_t value = f->of_allocator(g);
    if (value >= 0) {
      Printf("%s{allocator=\"%s\"} %lld\n", f->name, allocator_label_,
             static_cast<long long>(value));
    }
  } else if (f->scope == Scope::kMapper) {
    char mapper[64];
    for (int m = 0; m < g.mappers; ++m) {
      PrometheusLabel(g.by_mapper[m].name, mapper, sizeof(mapper));
      Printf("%s{allocator=\"%s\",mapper=\"%s\"} %lld\n", f->name,
             allocator_label_, mapper,
             static_cast<long long>(f->of_mapper(g.by_mapper[m])));
    }
  }
}

void ReportWriter::ClassPrometheus(const ClassStats& s) {
  if (!WantsClasses()) return;
  const Family& f = *FamilyAt(family_);
  char name[256];
  PrometheusLabel(s.name, name, sizeof(name));
  Printf("%s{allocator=\"%s\",class=\"%s\",id=\"%u\"} %lld\n", f.name,
         allocator_label_, name, s.id, static_cast<long long>(f.of_class(s)));
}

void ReportWriter::Class(const ClassStats& s) {
  using ull = unsigned long long;
  if (format_ == ReportFormat::kPrometheus) {
    ClassPrometheus(s);
    return;
  }
  if (format_ == ReportFormat::kText) {
    Printf(
        "  %-4u %-20.20s %7zu %10llu %10llu %9llu %9llu %7llu %6zu %10zuK "
        "%8zuK\n",
        s.id, s.name, s.object_size, static_cast<ull>(s.allocations),
        static_cast<ull>(s.releases), static_cast<ull>(s.live),
        static_cast<ull>(s.cache_misses),
        static_cast<ull>(s.depot_objects + s.thread_cached_objects), s.spans,
        s.committed_bytes >> 10, s.idle_bytes >> 10);
    return;
  }
  char name[256];
  char mapper[64];
  JsonString(s.name, name, sizeof(name));
  JsonString(s.mapper, mapper, sizeof(mapper));
  Printf(
      "%s{\"id\":%u,\"name\":\"%s\",\"mapper\":\"%s\",\"size\":%zu,"
      "\"object_size\":%zu,\"alignment\":%zu,\"allocations\":%llu,"
      "\"releases\":%llu,\"live\":%llu,\"in_use_bytes\":%llu,"
      "\"cache_hits\":%llu,\"cache_misses\":%llu,\"misuse_events\":%llu,"
      "\"from_slab\":%llu,\"to_slab\":%llu,\"peak_out_of_slab\":%llu,",
      first_class_ ? "" : ",", s.id, name, mapper, s.size, s.object_size,
      s.alignment, static_cast<ull>(s.allocations),
      static_cast<ull>(s.releases), static_cast<ull>(s.live),
      static_cast<ull>(s.in_use_bytes), static_cast<ull>(s.cache_hits),
      static_cast<ull>(s.cache_misses), static_cast<ull>(s.misuse_events),
      static_cast<ull>(s.from_slab), static_cast<ull>(s.to_slab),
      static_cast<ull>(s.peak_out_of_slab));
  Printf(
      "\"chunks\":%zu,\"spans\":%zu,\"reserved_bytes\":%zu,"
      "\"committed_bytes\":%zu,\"decommitted_spans\":%zu,"
      "\"idle_bytes\":%zu,\"returned_bytes\":%zu,"
      "\"magazine_capacity\":%u,\"magazines\":%llu,\"depot_objects\":%llu,"
      "\"thread_cached_objects\":%llu,\"depot_exchanges\":%llu}",
      s.chunks, s.spans, s.reserved_bytes, s.committed_bytes,
      s.decommitted_spans, s.idle_bytes, s.returned_bytes, s.magazine_capacity,
      static_cast<ull>(s.magazines), static_cast<ull>(s.depot_objects),
      static_cast<ull>(s.thread_cached_objects),
      static_cast<ull>(s.depot_exchanges));
  first_class_ = false;
}

void ReportWriter::End() {
  if (format_ == ReportFormat::kJson) Printf("]}\n");
}

}  // namespace slabkit

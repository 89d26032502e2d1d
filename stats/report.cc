#include "stats/report.h"

#include <unistd.h>

#include <cstdarg>
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

}  // namespace

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

void ReportWriter::Class(const ClassStats& s) {
  using ull = unsigned long long;
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

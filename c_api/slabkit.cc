#include "c_api/slabkit.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "allocator/allocator.h"
#include "guard/sampled.h"
#include "stats/report.h"

namespace {

// One source, two libraries: //c_api:slabkit (the fast flavour) and
// //c_api:slabkit_hardened (built with SLABKIT_HARDENED): allocator/flavour.h
// says which.
using CApiAllocator =
    slabkit::SlabAllocator<slabkit::FlavourConfig<slabkit::kBuildMitigations>>;
CApiAllocator& CApi() {
  return slabkit::ProcessAllocatorOf<slabkit::kBuildMitigations>();
}

int ErrnoFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return EINVAL;
    case absl::StatusCode::kNotFound:
      return ENOENT;
    case absl::StatusCode::kOutOfRange:
      return ENOSPC;
    case absl::StatusCode::kResourceExhausted:
    default:
      return ENOMEM;
  }
}

ABSL_ATTRIBUTE_NOINLINE void* AllocateSlow(uint32_t id) {
  return CApi().AllocateSlow(slabkit::ClassId{id});
}

ABSL_ATTRIBUTE_NOINLINE void ReleaseSlow(uint32_t id, void* ptr) {
  CApi().ReleaseSlow(slabkit::ClassId{id}, ptr);
}

absl::Status Register(const slabkit_class_config* config, slabkit_class* out) {
  if (config == nullptr || out == nullptr) {
    return absl::InvalidArgumentError("config and out must not be NULL");
  }
  if (config->name == nullptr) {
    return absl::InvalidArgumentError("config->name must not be NULL");
  }
  slabkit::ClassConfig c;
  c.name = config->name;
  c.size = config->size;
  c.alignment = config->alignment;
  c.zero_init = config->zero_init;
  c.magazine_capacity = config->magazine_capacity;
  c.depot_magazines = config->depot_magazines;
  c.canary = config->canary;
  c.fill_released = config->fill_released;
  if (config->mapper != nullptr) c.mapper = config->mapper;
  absl::StatusOr<slabkit::ClassId> id = CApi().Register(c);
  if (!id.ok()) return id.status();
  out->id = id->value;
  return absl::OkStatus();
}

}  // namespace

extern "C" {

int slabkit_class_register(const slabkit_class_config* config,
                           slabkit_class* out) {
  absl::Status status = Register(config, out);
  return status.ok() ? 0 : ErrnoFor(status);
}

slabkit_class slabkit_class_register_or_die(
    const slabkit_class_config* config) {
  slabkit_class cls = {0};
  absl::Status status = Register(config, &cls);
  if (!status.ok()) {
    fprintf(stderr, "slabkit: cannot register class \"%s\": %s\n",
            config != nullptr && config->name != nullptr ? config->name : "?",
            std::string(status.message()).c_str());
    abort();
  }
  return cls;
}

// The cache's fast paths are inlined here and touch only thread-local
// memory and the page map; DefaultAllocator() is reached on slow paths only,
// through one out-of-line call each (a tail call, so the fast paths need no
// frame). docs/fast_path.md shows the code this makes.
void* slabkit_allocate(slabkit_class cls) {
  const uint32_t id = cls.id;
  // A memory-tool build tells the tool of each object (base/memory_tool.h):
  // through the C++ member functions, which do.
  if constexpr (CApiAllocator::kTracksMemory) {
    return CApi().Allocate(slabkit::ClassId{id});
  }
  return CApiAllocator::Cache::Allocate(id, [id] { return AllocateSlow(id); });
}

void slabkit_release(slabkit_class cls, void* ptr) {
  const uint32_t id = cls.id;
  if constexpr (CApiAllocator::kTracksMemory) {
    return CApi().Release(slabkit::ClassId{id}, ptr);
  }
  CApiAllocator::Cache::Release(id, ptr, [id, ptr] { ReleaseSlow(id, ptr); });
}

size_t slabkit_release_idle_memory(void) { return CApi().ReleaseIdleMemory(); }

void slabkit_flush_thread_cache(void) { slabkit::FlushThreadCache(); }

void slabkit_set_sample_interval(size_t bytes) {
  if constexpr (CApiAllocator::kSamples) {
    slabkit::guard::SetSampleInterval(bytes);
  }
}

int slabkit_class_stats(slabkit_class cls, struct slabkit_class_stats* out) {
  if (out == nullptr) return EINVAL;
  absl::StatusOr<slabkit::ClassStats> s =
      CApi().GetStats(slabkit::ClassId{cls.id});
  if (!s.ok()) return EINVAL;
  *out = {s->id,
          s->name,
          s->mapper,
          s->size,
          s->object_size,
          s->alignment,
          s->allocations,
          s->releases,
          s->live,
          s->in_use_bytes,
          s->cache_misses,
          s->chunks,
          s->spans,
          s->reserved_bytes,
          s->committed_bytes,
          s->depot_objects,
          s->thread_cached_objects,
          s->idle_bytes,
          s->returned_bytes};
  return 0;
}

int slabkit_class_counters(slabkit_class cls, struct slabkit_counters* out) {
  if (out == nullptr) return EINVAL;
  slabkit::ClassCounters c;
  switch (CApi().ReadCounters(slabkit::ClassId{cls.id}, &c)) {
    case CApiAllocator::CounterRead::kOk:
      break;
    case CApiAllocator::CounterRead::kNoClass:
      return EINVAL;
    case CApiAllocator::CounterRead::kBusy:
      return EAGAIN;
  }
  *out = {c.allocations,    c.releases,        c.live,       c.in_use_bytes,
          c.reserved_bytes, c.committed_bytes, c.idle_bytes, c.returned_bytes};
  return 0;
}

// Kept by the linker even where the program never calls it (`retain`; -c opt
// links with --gc-sections): gdb's `slabkit stats` calls it in a live
// process (tools/gdb/slabkit.py).
__attribute__((used, retain)) int slabkit_stats_report(int fd, int format) {
  static_assert(SLABKIT_REPORT_PROMETHEUS == 2, "stats/report.h numbering");
  slabkit::ReportFormat f;
  if (!slabkit::ReportFormatFromNumber(format, &f)) return EINVAL;
  slabkit::WriteReport(CApi(), slabkit::FlavourName(slabkit::kBuildMitigations),
                       fd, f);
  return 0;
}

void slabkit_heap_profile(int fd) { CApi().WriteHeapProfile(fd); }

int slabkit_write_heap_profile(int fd, int format, int kind) {
  if ((format != SLABKIT_PROFILE_TEXT && format != SLABKIT_PROFILE_PROTO) ||
      (kind != SLABKIT_PROFILE_HEAP && kind != SLABKIT_PROFILE_PEAK)) {
    return EINVAL;
  }
  CApi().WriteHeapProfile(fd, static_cast<slabkit::ProfileFormat>(format),
                          static_cast<slabkit::ProfileKind>(kind));
  return 0;
}

void slabkit_reset_heap_profile(void) { CApi().ResetHeapProfile(); }

const char* slabkit_class_name(slabkit_class cls) {
  absl::StatusOr<slabkit::ClassStats> stats =
      CApi().GetStats(slabkit::ClassId{cls.id});
  return stats.ok() ? stats->name : nullptr;
}

}  // extern "C"

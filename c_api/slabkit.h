/* slabkit's C interface: classes of fixed-size, type-stable objects.
 *
 *   slabkit_class_config config = {.name = "node",
 *                                  .size = sizeof(struct node)};
 *   slabkit_class node_class;
 *   if (slabkit_class_register(&config, &node_class) != 0) {
 *     ... an errno value ...
 *   }
 *   struct node* n = slabkit_allocate(node_class);
 *   slabkit_release(node_class, n);
 *
 * Usable from C11 and C++. Thread-safe. Link //c_api:slabkit. */
#ifndef SLABKIT_C_API_SLABKIT_H_
#define SLABKIT_C_API_SLABKIT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "c_api/slabkit_counters.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A registered class. Id 0 is never valid; ids are never reused, and classes
 * live as long as the process. */
typedef struct slabkit_class {
  uint32_t id;
} slabkit_class;

typedef struct slabkit_class_config {
  const char* name; /* required, 1 to 63 bytes; copied */
  size_t size;      /* bytes per object, 1 to 262144 */
  /* 0: 16 for objects of 16 bytes or more, else the smallest power of two
   * that holds the object. Otherwise a power of two <= the page size. */
  size_t alignment;
  bool zero_init; /* every allocation reads as zeros */
  /* NULL: the build's default mapper. Otherwise a registered mapper's name:
   * "mmap", "thp", "file" and "default" are built in. */
  const char* mapper;
  /* Per-thread caching; 0 picks the default. Objects per magazine (up to
   * 1024; default 16 KiB worth, between 4 and 128), and full magazines the
   * class's depot keeps before returning objects to the slab (default 16). */
  uint32_t magazine_capacity;
  uint32_t depot_magazines;
  /* Checks that give up part of type stability's promise (a released object
   * keeps the program's bytes); off by default, and a class with either is
   * served without per-thread caching (docs/safety.md). canary: 16 bytes
   * after each object are checked on release ("heap buffer overflow").
   * fill_released: released objects are zeroed and checked to still be
   * zeros when handed out again ("write after free"). */
  bool canary;
  bool fill_released;
} slabkit_class_config;

/* Registers a class and stores its handle in *out. Returns 0, or an errno
 * value (and *out is unchanged):
 *   EINVAL  config or out is NULL, the name is missing, empty or longer than
 *           63 bytes, size is 0 or too large, alignment is not a power of two
 *           or exceeds the page size, magazine_capacity is above 1024;
 *   ENOENT  no mapper is registered under config->mapper;
 *   ENOMEM  no memory for the class record;
 *   ENOSPC  no class id is left. */
int slabkit_class_register(const slabkit_class_config* config,
                           slabkit_class* out);

/* An object of `cls`, or NULL with errno ENOMEM when memory cannot be had
 * (a later call may succeed) or EINVAL when `cls` is not a registered class.
 * Without zero_init the object's bytes are unspecified: zeros when fresh,
 * whatever the program left when recycled (slabkit never writes into them). */
void* slabkit_allocate(slabkit_class cls);

/* Returns `ptr` to `cls`. NULL is a no-op. Releasing to the wrong class, an
 * address slabkit does not manage, an interior pointer, an object already
 * free or never allocated prints one diagnostic line and aborts. */
void slabkit_release(slabkit_class cls, void* ptr);

/* Returns idle memory: this thread's cached objects and every class's depot
 * go back to the slabs, and spans with no live object are decommitted (their
 * addresses stay valid, reading zeros). Other threads' caches are returned
 * when they exit or call slabkit_flush_thread_cache(). Returns the bytes
 * decommitted. */
size_t slabkit_release_idle_memory(void);

/* Returns the calling thread's cached objects to their classes' depots. */
void slabkit_flush_thread_cache(void);

/* About one allocation per `bytes` allocated (per thread; exponential gaps)
 * is sampled: placed against a guard page, so an overflow off its end faults
 * with a report, and recorded for the heap profile (slabkit_heap_profile).
 * The hardened library also quarantines released samples, so that a use
 * after release faults. 0 turns sampling off, 1 samples everything; the
 * default is 2097152 (2 MiB), in the hardened library 262144 (256 KiB).
 * Takes effect at once on the calling thread, and on others by their next
 * sample. */
void slabkit_set_sample_interval(size_t bytes);

/* A snapshot of a class (docs/stats.md): exact counts over all threads,
 * whatever their caches hold. */
struct slabkit_class_stats {
  uint32_t id;
  const char* name;
  const char* mapper;
  size_t size;
  size_t object_size;
  size_t alignment;
  uint64_t allocations;
  uint64_t releases;
  uint64_t live;
  uint64_t in_use_bytes;
  uint64_t cache_misses;
  size_t chunks;
  size_t spans;
  size_t reserved_bytes;
  size_t committed_bytes;
  uint64_t depot_objects;
  uint64_t thread_cached_objects;
  size_t idle_bytes;     /* committed in spans with no live object */
  size_t returned_bytes; /* given back to the OS so far */
};

/* Fills *out for `cls`. 0, or EINVAL for a NULL `out` or an unknown class.
 * Safe from any thread at any time, but not from a signal handler (it takes
 * locks): use slabkit_class_counters there. */
int slabkit_class_stats(slabkit_class cls, struct slabkit_class_stats* out);

/* The counters of `cls` (c_api/slabkit_counters.h), for signal handlers:
 * async-signal-safe (no lock, no allocation, no system call; errno is
 * untouched), unlike slabkit_class_stats. Returns 0; EINVAL for a NULL `out`
 * or an unknown class; EAGAIN, with *out untouched, when the per-thread
 * counts could not be read consistently: a thread was exiting or flushing
 * its cache throughout a bounded retry, or the signal interrupted this
 * thread in the middle of such a change. A later call succeeds. */
int slabkit_class_counters(slabkit_class cls, struct slabkit_counters* out);

/* Writes a report of every class to the file descriptor `fd`: a text table,
 * one JSON object, or Prometheus' text exposition format (docs/stats.md).
 * Never allocates. 0, or EINVAL for an unknown format. */
enum {
  SLABKIT_REPORT_TEXT = 0,
  SLABKIT_REPORT_JSON = 1,
  SLABKIT_REPORT_PROMETHEUS = 2
};
int slabkit_stats_report(int fd, int format);

/* Writes a heap profile of the sampled objects, by class, to `fd`
 * (docs/stats.md). slabkit_heap_profile: the live ones and the allocations
 * since start (or slabkit_reset_heap_profile), in the legacy text format
 * (`google-pprof --text PROGRAM FILE`). slabkit_write_heap_profile: in
 * `format`, SLABKIT_PROFILE_TEXT or SLABKIT_PROFILE_PROTO (pprof's
 * profile.proto: `go tool pprof -top PROGRAM FILE`), of `kind`
 * SLABKIT_PROFILE_HEAP (as above) or SLABKIT_PROFILE_PEAK (the samples live
 * when the live heap was largest); it returns 0, or EINVAL for another format
 * or kind. Never allocate; async-signal-safe. */
enum slabkit_profile_format {
  SLABKIT_PROFILE_TEXT = 0,
  SLABKIT_PROFILE_PROTO = 1
};
enum slabkit_profile_kind {
  SLABKIT_PROFILE_HEAP = 0,
  SLABKIT_PROFILE_PEAK = 1
};
void slabkit_heap_profile(int fd);
int slabkit_write_heap_profile(int fd, int format, int kind);

/* Starts the profiles over: the allocations a heap profile counts are those
 * since this call, and a peak profile's peak is the largest live heap since
 * it. The live samples stay in both. */
void slabkit_reset_heap_profile(void);

/* The name `cls` was registered with, or NULL for an unknown class. */
const char* slabkit_class_name(slabkit_class cls);

/* Registers a class, or prints why it cannot and aborts: for classes defined
 * at start-up, where there is no caller to return an error to. */
slabkit_class slabkit_class_register_or_die(const slabkit_class_config* config);

/* Defines `var` as a class registered before main() runs (Slitter's
 * define_class!), at file scope and followed by a semicolon, e.g.
 *   SLABKIT_DEFINE_CLASS(node_class, {.name = "node", .size = 48});
 * A config slabkit refuses stops the program at start-up with its reason.
 * (The last line declares `var` again so that the `;` ends a declaration:
 * no empty-declaration warning, in C or C++.) */
#define SLABKIT_DEFINE_CLASS(var, ...)                                  \
  slabkit_class var;                                                    \
  __attribute__((constructor)) static void slabkit_define_##var(void) { \
    const slabkit_class_config slabkit_config_##var = __VA_ARGS__;      \
    var = slabkit_class_register_or_die(&slabkit_config_##var);         \
  }                                                                     \
  extern slabkit_class var

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SLABKIT_C_API_SLABKIT_H_ */

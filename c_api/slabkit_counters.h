/* The counters a signal handler may read (docs/stats.md), shared by the
 * class API (slabkit_class_counters, slabkit.h) and the malloc drop-in
 * (slabkit_malloc_counters, slabkit_malloc.h). */
#ifndef SLABKIT_C_API_SLABKIT_COUNTERS_H_
#define SLABKIT_C_API_SLABKIT_COUNTERS_H_

#include <stddef.h>
#include <stdint.h>

/* Each count is exact at some moment during the read; `live` is
 * allocations - releases as read. */
struct slabkit_counters {
  uint64_t allocations;
  uint64_t releases;
  uint64_t live;
  uint64_t in_use_bytes;
  size_t reserved_bytes;  /* address space held */
  size_t committed_bytes; /* memory backing it */
  size_t idle_bytes;      /* committed, holding no live object: what decay
                             gives back (docs/stats.md) */
  size_t returned_bytes;  /* given back to the OS so far */
};

#endif /* SLABKIT_C_API_SLABKIT_COUNTERS_H_ */

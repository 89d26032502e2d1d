/* slabkit as malloc: what the drop-in libraries add to the C library's
 * malloc API, which they replace (docs/malloc.md).
 *
 * Link one of //c_api:malloc or //c_api:malloc_hardened (or give it to
 * cc_binary's `malloc` attribute or --custom_malloc), or preload
 * libslabkit_malloc.so or libslabkit_malloc_hardened.so. Every function of
 * <stdlib.h> and <malloc.h> that allocates or frees, and every operator new
 * and delete, is then slabkit's. */
#ifndef SLABKIT_C_API_SLABKIT_MALLOC_H_
#define SLABKIT_C_API_SLABKIT_MALLOC_H_

#include <stddef.h>

#include "c_api/slabkit_counters.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C23's sized frees, which glibc 2.36 lacks. `size` (and `alignment`) must
 * be what the block was allocated with; a size of another class is reported
 * as misuse and aborts. */
void free_sized(void* ptr, size_t size);
void free_aligned_sized(void* ptr, size_t alignment, size_t size);

/* "default" or "hardened": the flavour of the malloc in use. */
const char* slabkit_malloc_flavour(void);

/* Writes the stats report of malloc (one row per size class, one for large
 * blocks) to `fd`. `format` is 0 for text, 1 for JSON, 2 for Prometheus'
 * text exposition format (docs/stats.md).
 * Returns 0, or EINVAL for another format. Never allocates. */
int slabkit_malloc_stats_report(int fd, int format);

/* malloc's counters, summed over its size classes and its large blocks
 * (whose in-use bytes are their committed pages; reserved and committed
 * bytes include freed large blocks kept for reuse). Async-signal-safe, as
 * slabkit_class_counters (slabkit.h), with the same results: 0, EINVAL for
 * a NULL `out`, EAGAIN to try again later. */
int slabkit_malloc_counters(struct slabkit_counters* out);

/* Writes a heap profile of malloc's sampled allocations (of its size
 * classes, and large blocks as class malloc_large) to `fd`: in the legacy
 * text format google-pprof reads, or in `format` and of `kind` as
 * slabkit_write_heap_profile (slabkit.h: format 0 text, 1 profile.proto;
 * kind 0 heap, 1 peak), which returns 0 or EINVAL.
 * slabkit_malloc_reset_heap_profile starts malloc's profiles over, as
 * slabkit_reset_heap_profile does the class API's. */
void slabkit_malloc_heap_profile(int fd);
int slabkit_malloc_write_heap_profile(int fd, int format, int kind);
void slabkit_malloc_reset_heap_profile(void);

/* Gives back idle memory, as malloc_trim(0) does; returns the bytes. */
size_t slabkit_malloc_release_idle_memory(void);

#ifdef __cplusplus
}
#endif

#endif /* SLABKIT_C_API_SLABKIT_MALLOC_H_ */

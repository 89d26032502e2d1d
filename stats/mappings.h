// The number of the process's kernel memory mappings (lines of
// /proc/self/maps), read without allocating; -1 when it cannot be read.
#ifndef SLABKIT_STATS_MAPPINGS_H_
#define SLABKIT_STATS_MAPPINGS_H_

#include <cstdint>

namespace slabkit {

int64_t KernelMappings();

}  // namespace slabkit

#endif  // SLABKIT_STATS_MAPPINGS_H_

// Selects MmapMapper as slabkit::DefaultMapper. Included as
// "slabkit/default_mapper.h" through //mapper:default; a custom mapper target
// provides the same header to take its place (see docs/mappers.md).
#ifndef SLABKIT_DEFAULT_MAPPER_H_
#define SLABKIT_DEFAULT_MAPPER_H_

#include "mapper/mmap_mapper.h"

namespace slabkit {
using DefaultMapper = MmapMapper;
}  // namespace slabkit

#endif  // SLABKIT_DEFAULT_MAPPER_H_

// Makes the consumer's mapper slabkit's default when //:consumer_mapper is
// given to --@slabkit//mapper:default.
#ifndef SLABKIT_DEFAULT_MAPPER_H_
#define SLABKIT_DEFAULT_MAPPER_H_

#include "mapper/mmap_mapper.h"

namespace slabkit {

// mmap, under the consumer's own name.
struct DefaultMapper : MmapMapper {
  const char* name() const { return "consumer-mmap"; }
};

}  // namespace slabkit

#endif  // SLABKIT_DEFAULT_MAPPER_H_

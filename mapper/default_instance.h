// The process-wide instance of the build's default mapper: the type
// //mapper:default selects (--//mapper:default=//your:mapper).
#ifndef SLABKIT_MAPPER_DEFAULT_INSTANCE_H_
#define SLABKIT_MAPPER_DEFAULT_INSTANCE_H_

#include "mapper/mapper.h"
#include "slabkit/default_mapper.h"

namespace slabkit {

static_assert(IsMapper<DefaultMapper>::value,
              "the target given to --//mapper:default must define "
              "slabkit::DefaultMapper satisfying mapper/mapper.h");

// Built on first use and never destroyed, so it outlives every allocation,
// including those freed at exit.
DefaultMapper& DefaultMapperInstance();

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_DEFAULT_INSTANCE_H_

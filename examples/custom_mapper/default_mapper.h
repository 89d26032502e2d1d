// Makes CountingMapper the default mapper when this target is given to
// --//mapper:default. Exposed as "slabkit/default_mapper.h".
#ifndef SLABKIT_DEFAULT_MAPPER_H_
#define SLABKIT_DEFAULT_MAPPER_H_

#include "examples/custom_mapper/counting_mapper.h"

namespace slabkit {
using DefaultMapper = example::CountingMapper;
}  // namespace slabkit

#endif  // SLABKIT_DEFAULT_MAPPER_H_

// The flavour a target is built as: hardened when it defines
// SLABKIT_HARDENED, the fast (default) flavour otherwise. The one place the
// macro is read; the C library and the malloc drop-in take their Configs'
// mitigations from here (docs/safety.md).
#ifndef SLABKIT_ALLOCATOR_FLAVOUR_H_
#define SLABKIT_ALLOCATOR_FLAVOUR_H_

#include "policy/mitigations.h"

namespace slabkit {

#ifdef SLABKIT_HARDENED
inline constexpr Mitigations kBuildMitigations = kHardenedMitigations;
#else
inline constexpr Mitigations kBuildMitigations = kDefaultMitigations;
#endif

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_FLAVOUR_H_

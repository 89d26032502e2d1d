// Mappers by name, for classes that choose their memory source at run time,
// and the process-wide instance of the build's default mapper.
#ifndef SLABKIT_MAPPER_REGISTRY_H_
#define SLABKIT_MAPPER_REGISTRY_H_

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mapper/mapper.h"

namespace slabkit {

// Names hold 1 to kMaxMapperName characters from [A-Za-z0-9_.-].
inline constexpr int kMaxMapperName = 31;
// Built-in names count towards this limit.
inline constexpr int kMaxMappers = 32;

// Makes `mapper` available as `name` for the rest of the process: the mapper
// must never be destroyed. InvalidArgument for a bad name or an invalid ref,
// AlreadyExists for a taken name, ResourceExhausted when kMaxMappers are
// registered. Built in, when //mapper:builtin_names is linked (//allocator
// links it): "default", "mmap", "thp" and "file" (builtin_names.cc).
absl::Status RegisterMapper(absl::string_view name, MapperRef mapper);

// The mapper registered as `name`, or NotFound.
absl::StatusOr<MapperRef> FindMapper(absl::string_view name);

// Fork safety: takes the registry's lock, then each registered mapper's
// LockForFork (mapper.h; once per mapper, in registration order);
// UnlockMappersAfterFork releases them in reverse, in the parent and in the
// child (where each mapper's UnlockInForkChild runs instead, if it has
// one). Called by the process-wide allocators' fork handler, after their
// own locks.
void LockMappersForFork();
void UnlockMappersAfterFork();
void UnlockMappersInForkChild();

namespace mapper_internal {
using AddMapperFn = absl::Status (*)(absl::string_view name, MapperRef mapper);
// Defined by //mapper:builtin_names, when it is linked: adds the built-in
// names, on the registry's first use.
ABSL_ATTRIBUTE_WEAK void AddBuiltinMappers(AddMapperFn add);
}  // namespace mapper_internal

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_REGISTRY_H_

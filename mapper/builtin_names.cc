// The built-in mapper names: "default" (DefaultMapperInstance()), "mmap",
// "thp" and "file" (FileMapper in $SLABKIT_FILE_DIR, else $TMPDIR, else
// /tmp), added to the registry on its first use when this library is linked
// (//mapper:builtin_names; //allocator links it).
#include <new>

#include "absl/base/attributes.h"
#include "mapper/default_instance.h"
#include "mapper/file_mapper.h"
#include "mapper/mmap_mapper.h"
#include "mapper/registry.h"
#include "mapper/thp_mapper.h"

namespace slabkit {
namespace mapper_internal {
namespace {

// Statically initialized: no constructor runs, none is destroyed.
ABSL_CONST_INIT MmapMapper builtin_mmap;
ABSL_CONST_INIT ThpMapper builtin_thp;

FileMapper& BuiltinFileMapper() {
  alignas(FileMapper) static unsigned char storage[sizeof(FileMapper)];
  static FileMapper* const mapper = new (storage) FileMapper();
  return *mapper;
}

}  // namespace

void AddBuiltinMappers(AddMapperFn add) {
  (void)add("default", MapperRef(&DefaultMapperInstance()));
  (void)add("mmap", MapperRef(&builtin_mmap));
  (void)add("thp", MapperRef(&builtin_thp));
  (void)add("file", MapperRef(&BuiltinFileMapper()));
}

}  // namespace mapper_internal
}  // namespace slabkit

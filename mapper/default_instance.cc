#include "mapper/default_instance.h"

#include <new>

namespace slabkit {

DefaultMapper& DefaultMapperInstance() {
  // Placement into static storage: no destructor is registered.
  alignas(DefaultMapper) static unsigned char storage[sizeof(DefaultMapper)];
  static DefaultMapper* const mapper = new (storage) DefaultMapper();
  return *mapper;
}

}  // namespace slabkit

#include "allocator/allocator.h"

#include <new>

namespace slabkit {

Allocator& DefaultAllocator() {
  alignas(Allocator) static unsigned char storage[sizeof(Allocator)];
  static Allocator* const allocator =
      new (storage) Allocator(&DefaultMapperInstance());
  return *allocator;
}

}  // namespace slabkit

#include "allocator/allocator.h"

#include <new>

namespace slabkit {

namespace {

// Placement into static storage: no destructor runs at exit, so objects may
// be released by code that runs after main returns.
template <typename A>
A& ProcessWide() {
  alignas(A) static unsigned char storage[sizeof(A)];
  static A* const allocator = new (storage) A(&DefaultMapperInstance());
  return *allocator;
}

}  // namespace

Allocator& DefaultAllocator() { return ProcessWide<Allocator>(); }

HardenedAllocator& DefaultHardenedAllocator() {
  return ProcessWide<HardenedAllocator>();
}

}  // namespace slabkit

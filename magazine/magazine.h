// A magazine: a fixed-capacity array of object pointers (Bonwick 2001).
// Never an intrusive list: objects are not touched by being cached.
#ifndef SLABKIT_MAGAZINE_MAGAZINE_H_
#define SLABKIT_MAGAZINE_MAGAZINE_H_

#include <cstddef>
#include <cstdint>

namespace slabkit {
namespace magazine {

// Lives in slabkit's metadata memory, never freed: empty magazines are kept
// by their class's depot for reuse.
struct Magazine {
  Magazine* next;  // the depot's lists
  uint32_t count;  // objects in slots[0, count)
  uint32_t capacity;
  // Always null, read as slots()[-1]: lets the release fast path compare
  // with the top object without testing for an empty magazine first.
  void* sentinel;

  void** slots() { return reinterpret_cast<void**>(this + 1); }

  // Bytes a magazine of `capacity` slots takes.
  static constexpr size_t Bytes(uint32_t capacity) {
    return sizeof(Magazine) + capacity * sizeof(void*);
  }
};
static_assert(sizeof(Magazine) == 24);

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_MAGAZINE_H_

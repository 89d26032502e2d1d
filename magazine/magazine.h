// A magazine: a fixed-capacity array of object pointers (Bonwick 2001).
// Never an intrusive list: objects are not touched by being cached.
#ifndef SLABKIT_MAGAZINE_MAGAZINE_H_
#define SLABKIT_MAGAZINE_MAGAZINE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace slabkit {
namespace magazine {

// Lives in slabkit's metadata memory, never freed: empty magazines are kept
// by their class's depot for reuse.
struct Magazine {
  // The depot's stacks (MagazineStack). Atomic because a thread popping a
  // stack may read it while another thread that popped the magazine first
  // pushes it again.
  std::atomic<Magazine*> next;
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

// Magazines are aligned to this, which frees the low bits of their address
// for MagazineStack's tag.
inline constexpr size_t kMagazineAlignment = 64;

// A lock-free stack of magazines (Treiber's): the head is one word, a
// magazine's address (below 2^47, aligned to kMagazineAlignment) and a
// generation tag that every pop advances, so a pop whose head was taken
// and pushed again meanwhile fails its compare-and-swap instead of linking
// a stale `next` (ABA) unless 2^23 pops ran in between. Magazines are
// never freed, so a stale head's `next` can always be read.
class MagazineStack {
 public:
  // Whether `m` can be pushed: its address fits the head's word.
  static bool Fits(const Magazine* m) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(m);
    return (a >> kAddressBits) == 0 && (a & (kMagazineAlignment - 1)) == 0;
  }

  void Push(Magazine* m) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    do {
      m->next.store(Address(head), std::memory_order_relaxed);
    } while (!head_.compare_exchange_weak(head, Pack(m, Tag(head)),
                                          std::memory_order_release,
                                          std::memory_order_relaxed));
  }

  // The magazine on top, or nullptr when the stack is empty.
  Magazine* Pop() {
    uint64_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      Magazine* m = Address(head);
      if (m == nullptr) return nullptr;
      Magazine* next = m->next.load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(head, Pack(next, Tag(head) + 1),
                                      std::memory_order_acquire,
                                      std::memory_order_acquire)) {
        m->next.store(nullptr, std::memory_order_relaxed);
        return m;
      }
    }
  }

 private:
  static constexpr int kAddressBits = 47;
  static constexpr int kShift = 6;  // log2(kMagazineAlignment)
  static constexpr int kTagShift = kAddressBits - kShift;
  static_assert((size_t{1} << kShift) == kMagazineAlignment);

  static uint64_t Pack(const Magazine* m, uint64_t tag) {
    return (reinterpret_cast<uintptr_t>(m) >> kShift) | (tag << kTagShift);
  }
  static Magazine* Address(uint64_t head) {
    return reinterpret_cast<Magazine*>((head & ((uint64_t{1} << kTagShift) - 1))
                                       << kShift);
  }
  static uint64_t Tag(uint64_t head) { return head >> kTagShift; }

  std::atomic<uint64_t> head_{0};
};

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_MAGAZINE_H_

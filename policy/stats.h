// The Stats policy: what a SlabAllocator counts of the objects that move
// between each class's slab and the rest (the program, or the caches). Its
// counts are ClassStats' from_slab, to_slab and peak_out_of_slab. The call
// counts (allocations, releases, live) are kept whatever the policy.
//
// A Stats policy S provides (CheckStats<S>() names what is missing)
// struct PerClass, default-constructible, with
//   void OnTakenFromSlab();   void OnReturnedToSlab();
//       called under the class's lock, once per object
//   uint64_t from_slab() const;  uint64_t to_slab() const;
//   uint64_t peak_out_of_slab() const;
#ifndef SLABKIT_POLICY_STATS_H_
#define SLABKIT_POLICY_STATS_H_

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "policy/contract.h"

namespace slabkit {

// Counts every transfer, and the most objects out of the slab at once.
struct SlabTransferCounts {
  struct PerClass {
    void OnTakenFromSlab() {
      ++from_slab_;
      peak_ = std::max(peak_, from_slab_ - to_slab_);
    }
    void OnReturnedToSlab() { ++to_slab_; }
    uint64_t from_slab() const { return from_slab_; }
    uint64_t to_slab() const { return to_slab_; }
    uint64_t peak_out_of_slab() const { return peak_; }

   private:
    uint64_t from_slab_ = 0;
    uint64_t to_slab_ = 0;
    uint64_t peak_ = 0;
  };
};

// Counts no transfer: those three read as zero.
struct NoSlabTransferCounts {
  struct PerClass {
    void OnTakenFromSlab() {}
    void OnReturnedToSlab() {}
    uint64_t from_slab() const { return 0; }
    uint64_t to_slab() const { return 0; }
    uint64_t peak_out_of_slab() const { return 0; }
  };
};

namespace policy_internal {
template <typename T, typename = void>
struct HasStatsPerClass : std::false_type {};
template <typename T>
struct HasStatsPerClass<T, std::void_t<typename T::PerClass>>
    : std::is_default_constructible<typename T::PerClass> {};
SLABKIT_POLICY_MEMBER(HasOnTaken, void,
                      std::declval<typename T::PerClass&>().OnTakenFromSlab());
SLABKIT_POLICY_MEMBER(HasOnReturned, void,
                      std::declval<typename T::PerClass&>().OnReturnedToSlab());
SLABKIT_POLICY_MEMBER(HasFromSlab, uint64_t,
                      std::declval<const typename T::PerClass&>().from_slab());
SLABKIT_POLICY_MEMBER(HasToSlab, uint64_t,
                      std::declval<const typename T::PerClass&>().to_slab());
SLABKIT_POLICY_MEMBER(
    HasPeakOut, uint64_t,
    std::declval<const typename T::PerClass&>().peak_out_of_slab());
}  // namespace policy_internal

// True when S meets the contract above; otherwise fails to compile, naming
// the missing member. Use: static_assert(CheckStats<S>()).
template <typename S>
constexpr bool CheckStats() {
  using namespace policy_internal;
  static_assert(HasStatsPerClass<S>::value,
                "Stats policy: needs a default-constructible struct PerClass");
  static_assert(HasOnTaken<S>::value && HasOnReturned<S>::value,
                "Stats policy: PerClass needs void OnTakenFromSlab() and "
                "void OnReturnedToSlab()");
  static_assert(
      HasFromSlab<S>::value && HasToSlab<S>::value && HasPeakOut<S>::value,
      "Stats policy: PerClass needs uint64_t from_slab() const, "
      "to_slab() const and peak_out_of_slab() const");
  return true;
}

}  // namespace slabkit

#endif  // SLABKIT_POLICY_STATS_H_

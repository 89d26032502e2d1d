// Mitigations: the hardening an allocator carries, as one compile-time set
// (in the manner of snmalloc's mitigations.h). A Config names its set
// (Config::kMitigations); the chunk layout, the cache's checks, sampling into
// guarded slots and malloc's handling of freed large blocks all follow from
// it with `if constexpr`, so the fast and hardened flavours are the same
// code built with two sets. A new mitigation is one bit here and the places
// that test it.
#ifndef SLABKIT_POLICY_MITIGATIONS_H_
#define SLABKIT_POLICY_MITIGATIONS_H_

#include <cstdint>

namespace slabkit {

enum class Mitigations : uint32_t {
  kNone = 0,
  // One state byte per object (held, released, never handed out), kept by
  // the fast paths too: every double free and every release of a slot never
  // handed out is caught when it happens, not only back-to-back ones.
  kObjectStates = 1u << 0,
  // A guard page after every span, so an overflow off a span's end faults.
  kSpanGuards = 1u << 1,
  // Released samples (kHeapSamples) are decommitted, made inaccessible and
  // quarantined, so that a use after release faults and is reported with
  // both stacks; and sampling is more frequent by default
  // (guard::kHardenedSampleInterval). Implies kHeapSamples.
  kGuardedSamples = 1u << 2,
  // malloc's freed large blocks are decommitted, made inaccessible and kept
  // from reuse for a while (quarantine) instead of kept for reuse.
  kLargeQuarantine = 1u << 3,
  // Objects of a page or more each start after a guard page and end at one
  // (a span each): an overflow or underflow off such a block faults.
  kPageGuards = 1u << 4,
  // The size a block was asked for is kept out of band, and the slack after
  // it holds a canary, checked with its neighbours' when it is released:
  // malloc's blocks always, a class's when it asks (ClassConfig::canary).
  kCanaries = 1u << 5,
  // Released objects are filled with zeros and checked when handed out
  // again (a write after release is reported): malloc's blocks always, a
  // class's when it asks (ClassConfig::fill_released).
  kFillReleased = 1u << 6,
  // The next allocation never gets the object released last: allocation
  // takes one of the few most recently released at random.
  kRandomReuse = 1u << 7,
  // malloc's blocks remember how they were allocated (malloc, new, new[])
  // and at what size: free of new memory, delete of new[], a sized delete
  // with another size are reported.
  kReleaseChecks = 1u << 8,
  // A sample of allocations (one per guard::SampleInterval() bytes, on
  // average) is served from slots that end at a guard page, with its
  // allocation stack recorded for heap profiles: an overflow off a sampled
  // object's end faults. The fast flavour's one mitigation.
  kHeapSamples = 1u << 9,
};

constexpr Mitigations operator|(Mitigations a, Mitigations b) {
  return static_cast<Mitigations>(static_cast<uint32_t>(a) |
                                  static_cast<uint32_t>(b));
}

// Whether `set` holds every mitigation of `m`.
constexpr bool Has(Mitigations set, Mitigations m) {
  return (static_cast<uint32_t>(set) & static_cast<uint32_t>(m)) ==
         static_cast<uint32_t>(m);
}

// The fast (default) flavour: sampling for heap profiles only.
inline constexpr Mitigations kDefaultMitigations = Mitigations::kHeapSamples;

// The hardened flavour (docs/safety.md): every mitigation.
inline constexpr Mitigations kHardenedMitigations =
    Mitigations::kHeapSamples | Mitigations::kObjectStates |
    Mitigations::kSpanGuards | Mitigations::kGuardedSamples |
    Mitigations::kLargeQuarantine | Mitigations::kPageGuards |
    Mitigations::kCanaries | Mitigations::kFillReleased |
    Mitigations::kRandomReuse | Mitigations::kReleaseChecks;

// Whether allocations are sampled (kHeapSamples, or kGuardedSamples which
// implies it).
constexpr bool Samples(Mitigations set) {
  return Has(set, Mitigations::kHeapSamples) ||
         Has(set, Mitigations::kGuardedSamples);
}

// The flavour's name in reports: "default", "hardened", or "custom".
constexpr const char* FlavourName(Mitigations set) {
  return set == kDefaultMitigations    ? "default"
         : set == kHardenedMitigations ? "hardened"
                                       : "custom";
}

}  // namespace slabkit

#endif  // SLABKIT_POLICY_MITIGATIONS_H_

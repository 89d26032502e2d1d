// What the policy contracts (cache.h, stats.h, layout.h) are checked with: a
// trait per member, so that a policy missing one fails to compile with a
// message naming that member.
#ifndef SLABKIT_POLICY_CONTRACT_H_
#define SLABKIT_POLICY_CONTRACT_H_

#include <type_traits>
#include <utility>

// Defines policy_internal::Name<T>: true when `expr` (which may name T) is
// well-formed and of type `type`.
#define SLABKIT_POLICY_MEMBER(Name, type, expr)                          \
  template <typename T, typename = void>                                 \
  struct Name : std::false_type {};                                      \
  template <typename T>                                                  \
  struct Name<T, std::enable_if_t<std::is_same_v<decltype(expr), type>>> \
      : std::true_type {}

#endif  // SLABKIT_POLICY_CONTRACT_H_

// Counters with one writer at a time (the holder of some lock) and readers
// that take no lock, such as a signal handler reading stats: the writer
// reads plainly and stores atomically; readers load atomically. Each counter
// read is one the writer stored (no torn values); counters read together
// may be a moment apart.
#ifndef SLABKIT_SLAB_COUNTER_H_
#define SLABKIT_SLAB_COUNTER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace slabkit {

template <typename T, typename N>
void CounterAdd(T& counter, N n) {
  static_assert(std::is_unsigned_v<T> && std::is_integral_v<N>);
  __atomic_store_n(&counter, static_cast<T>(counter + n), __ATOMIC_RELAXED);
}

template <typename T, typename N>
void CounterSub(T& counter, N n) {
  static_assert(std::is_unsigned_v<T> && std::is_integral_v<N>);
  __atomic_store_n(&counter, static_cast<T>(counter - n), __ATOMIC_RELAXED);
}

template <typename T, typename V>
void CounterSet(T& counter, V value) {
  __atomic_store_n(&counter, static_cast<T>(value), __ATOMIC_RELAXED);
}

template <typename T>
T CounterLoad(const T& counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

// A copy of `counters`, a struct of nothing but 64-bit unsigned counters
// (uint64_t, size_t), each loaded as above: so a field added later is read
// like the others.
template <typename T>
T CounterSnapshot(const T& counters) {
  static_assert(std::is_trivially_copyable_v<T> &&
                sizeof(T) % sizeof(uint64_t) == 0 &&
                alignof(T) == alignof(uint64_t));
  static_assert(std::is_same_v<size_t, uint64_t>);
  constexpr size_t kWords = sizeof(T) / sizeof(uint64_t);
  const auto* words = reinterpret_cast<const uint64_t*>(&counters);
  uint64_t copy[kWords];
  for (size_t i = 0; i < kWords; ++i) copy[i] = CounterLoad(words[i]);
  T out;
  memcpy(&out, copy, sizeof(T));
  return out;
}

}  // namespace slabkit

#endif  // SLABKIT_SLAB_COUNTER_H_

// The language slabkit's C++ headers are written in. Included first by the
// headers users include (allocator/, mapper/, arena/), so that a build
// without C++17 stops here with the flag to add, instead of at the first
// `if constexpr`.
#ifndef SLABKIT_BASE_LANGUAGE_H_
#define SLABKIT_BASE_LANGUAGE_H_

#if !defined(__cplusplus) || __cplusplus < 201703L
#error \
    "slabkit's C++ headers need C++17: build with --cxxopt=-std=c++17 (in .bazelrc: build --cxxopt=-std=c++17 --host_cxxopt=-std=c++17); from C, include c_api/slabkit.h"
#endif

#endif  // SLABKIT_BASE_LANGUAGE_H_

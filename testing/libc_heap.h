// Memory from the C library's own heap, whichever malloc the program links.
// Under --custom_malloc=//c_api:malloc, malloc and operator new are
// slabkit's; a test that needs a heap address slabkit does not manage takes
// it from glibc's allocator directly (__libc_malloc, exported by glibc).
#ifndef SLABKIT_TESTING_LIBC_HEAP_H_
#define SLABKIT_TESTING_LIBC_HEAP_H_

#include <cstddef>
#include <memory>

extern "C" void* __libc_malloc(size_t size);
extern "C" void __libc_free(void* p);

namespace slabkit {

struct LibcFree {
  void operator()(void* p) const { __libc_free(p); }
};

// `size` bytes of glibc's heap, freed to it.
inline std::unique_ptr<void, LibcFree> LibcHeapBlock(size_t size) {
  return std::unique_ptr<void, LibcFree>(__libc_malloc(size));
}

}  // namespace slabkit

#endif  // SLABKIT_TESTING_LIBC_HEAP_H_

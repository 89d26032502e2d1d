// Releases a block of $SIZE bytes from new with a sized delete of one byte
// less: the size of another type, of the same class.
#include <cstdlib>
#include <new>

extern "C" {
#include "c_api/misuse/malloc_common.h"
}

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  void* p = ::operator new(n);
  ::operator delete(launder(p), misuse ? n - 1 : n);
  return 0;
}

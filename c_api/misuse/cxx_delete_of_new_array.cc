// Releases memory from new[] with delete (and, in $HOW=array-of-new, memory
// from new with delete[]; $HOW=free-of-new: new then free; $HOW=delete-of-
// malloc: malloc then delete).
#include <cstdlib>
#include <cstring>
#include <new>

extern "C" {
#include "c_api/misuse/malloc_common.h"
}

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  const char* how = getenv("HOW");
  const char* h = how != nullptr ? how : "";
  if (strcmp(h, "array-of-new") == 0) {
    void* p = ::operator new(n);
    if (misuse) {
      ::operator delete[](launder(p));
    } else {
      ::operator delete(p);
    }
  } else if (strcmp(h, "free-of-new") == 0) {
    void* p = ::operator new(n);
    if (misuse) {
      free(launder(p));
    } else {
      ::operator delete(p);
    }
  } else if (strcmp(h, "delete-of-malloc") == 0) {
    void* p = must_malloc(n);
    if (misuse) {
      ::operator delete(launder(p));
    } else {
      free(p);
    }
  } else {
    void* p = ::operator new[](n);
    if (misuse) {
      ::operator delete(launder(p));
    } else {
      ::operator delete[](p);
    }
  }
  return 0;
}

/* Releases memory from the C library's heap. glibc's own allocator is
 * called by name (__libc_malloc): with slabkit's malloc as the program's
 * (--custom_malloc), malloc's blocks are slabkit's, of a malloc class, and
 * releasing one is a release to the wrong class (wrong_class.c's case). */
#include "c_api/misuse/common.h"

void* __libc_malloc(size_t size);
void __libc_free(void* p);

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  void* from_libc = __libc_malloc(32);
  void* p = slabkit_allocate(cls);
  slabkit_release(cls, misuse ? from_libc : p);
  __libc_free(from_libc);
  return 0;
}

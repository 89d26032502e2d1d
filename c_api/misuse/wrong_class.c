/* Releases an object of one class to another class of the same size. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class apple = must_register("apple", 32);
  slabkit_class pear = must_register("pear", 32);
  void* p = slabkit_allocate(apple);
  slabkit_release(misuse ? pear : apple, p);
  return 0;
}

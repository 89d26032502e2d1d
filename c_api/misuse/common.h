/* Shared by the misuse programs: each is run as `prog correct` (uses the C
 * API correctly and must exit 0) and `prog misuse` (commits one misuse and
 * must be stopped by slabkit with its diagnostic). */
#ifndef SLABKIT_C_API_MISUSE_COMMON_H_
#define SLABKIT_C_API_MISUSE_COMMON_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_api/slabkit.h"

static inline slabkit_class must_register(const char* name, size_t size) {
  slabkit_class_config config = {.name = name, .size = size};
  slabkit_class cls;
  int err = slabkit_class_register(&config, &cls);
  if (err != 0) {
    fprintf(stderr, "register %s: %s\n", name, strerror(err));
    exit(2);
  }
  return cls;
}

/* 1 for "misuse", 0 for "correct"; exits 2 on anything else. */
static inline int misuse_requested(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "misuse") == 0) return 1;
  if (argc == 2 && strcmp(argv[1], "correct") == 0) return 0;
  fprintf(stderr, "usage: %s correct|misuse\n", argv[0]);
  exit(2);
}

#endif /* SLABKIT_C_API_MISUSE_COMMON_H_ */

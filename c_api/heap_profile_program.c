/* Allocates sessions through a function of its own and keeps them live,
 * with every allocation sampled, then writes a heap profile to argv[1].
 * heap_profile_test.sh reads the profile with google-pprof. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "c_api/slabkit.h"

static slabkit_class session_class;
static void* sessions[50];

__attribute__((noinline)) void allocate_sessions(void) {
  for (int i = 0; i < 50; ++i) sessions[i] = slabkit_allocate(session_class);
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) return 2;
  slabkit_set_sample_interval(1);  /* sample every allocation */
  slabkit_class_config config = {.name = "session", .size = 200};
  if (slabkit_class_register(&config, &session_class) != 0) return 1;
  allocate_sessions();
  /* With a second argument: let SLABKIT_OPTIONS=profile_signal=12 write it. */
  if (argc == 3) raise(12);
  const int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  slabkit_heap_profile(fd);
  close(fd);
  for (int i = 0; i < 50; ++i) slabkit_release(session_class, sessions[i]);
  return 0;
}

/* Heap profiles in the fast flavour, read back by pprof_test.sh with
 * `go tool pprof` and google-pprof.
 *
 *   pprof_program classes OUT FORMAT   two classes, "session" (200 bytes,
 *       20 MiB live, from allocate_sessions) and "packet" (1000 bytes, 4 MiB
 *       live, from allocate_packets); writes the profile to OUT in FORMAT
 *       (0 text, 1 proto) and prints the live bytes of each class.
 *   pprof_program stress OUT           4 threads (made anew every round)
 *       allocate and release sampled objects while the main thread raises
 *       SIGUSR2 (SLABKIT_OPTIONS=profile_signal=12 writes a profile on it)
 *       and forks children that allocate, write a profile and exit; then
 *       writes a final profile to OUT. Exits 0 when every child did.
 *   pprof_program peak PEAK HEAP       20 MiB of sessions live from
 *       grow_to_peak, all released, then 2 MiB from after_peak kept live;
 *       writes the peak-heap profile to PEAK and the heap profile to HEAP
 *       (proto), and prints the bytes live at the peak.
 *   pprof_program reset PEAK HEAP      as peak, but the sessions are
 *       released and churned before slabkit_reset_heap_profile, and 10 MiB
 *       (below the 20 MiB peak before it) allocated from after_reset kept
 *       live after it.
 *   pprof_program malloc               20 MiB live in 100-byte malloc blocks
 *       from allocate_buffers, 30 MiB in 320 KiB large blocks from
 *       allocate_large_blocks (as many again allocated there and freed) and
 *       80 MiB in 200 KiB blocks from allocate_medium_blocks (a class whose
 *       guarded pool holds 17 samples), live at exit (run it under the
 *       drop-in with SLABKIT_OPTIONS=profile=1,...); prints the bytes of
 *       each.
 * The sampling interval is SLABKIT_OPTIONS' (sample_interval). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_api/slabkit.h"

enum { kSessions = 20 << 20, kSessionSize = 200 };
enum { kPackets = 4 << 20, kPacketSize = 1000 };
enum { kBuffers = 20 << 20, kBufferSize = 100 };
enum { kLargeBlocks = 96, kLargeBlockSize = 320 << 10 };
enum { kMediumBlocks = 400, kMediumBlockSize = 200 << 10 };

static void* live[(kSessions / kSessionSize) + (kPackets / kPacketSize) +
                  (kBuffers / kBufferSize) + kLargeBlocks + kMediumBlocks];
static size_t num_live;

__attribute__((noinline)) void allocate_sessions(slabkit_class cls) {
  for (int i = 0; i < kSessions / kSessionSize; ++i) {
    live[num_live++] = slabkit_allocate(cls);
  }
}

__attribute__((noinline)) void allocate_packets(slabkit_class cls) {
  for (int i = 0; i < kPackets / kPacketSize; ++i) {
    live[num_live++] = slabkit_allocate(cls);
  }
}

__attribute__((noinline)) void allocate_buffers(void) {
  for (int i = 0; i < kBuffers / kBufferSize; ++i) {
    live[num_live++] = malloc(kBufferSize);
  }
}

/* Allocates twice kLargeBlocks and frees every other one. */
__attribute__((noinline)) void allocate_large_blocks(void) {
  for (int i = 0; i < kLargeBlocks; ++i) {
    void* freed = malloc(kLargeBlockSize);
    live[num_live++] = malloc(kLargeBlockSize);
    free(freed);
  }
}

__attribute__((noinline)) void allocate_medium_blocks(void) {
  for (int i = 0; i < kMediumBlocks; ++i) {
    live[num_live++] = malloc(kMediumBlockSize);
  }
}

/* Short-lived allocations beside the live ones, which the in-use profile
 * must not count. */
__attribute__((noinline)) void churn(slabkit_class cls) {
  for (int i = 0; i < 100000; ++i) slabkit_release(cls, slabkit_allocate(cls));
}

__attribute__((noinline)) void grow_to_peak(slabkit_class cls) {
  for (int i = 0; i < kSessions / kSessionSize; ++i) {
    live[num_live++] = slabkit_allocate(cls);
  }
}

__attribute__((noinline)) void after_peak(slabkit_class cls) {
  for (int i = 0; i < (2 << 20) / kSessionSize; ++i) {
    live[num_live++] = slabkit_allocate(cls);
  }
}

enum { kAfterReset = 10 << 20 };

__attribute__((noinline)) void after_reset(slabkit_class cls) {
  for (int i = 0; i < kAfterReset / kSessionSize; ++i) {
    live[num_live++] = slabkit_allocate(cls);
  }
}

static int write_profile(const char* path, int kind) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  const int error = slabkit_write_heap_profile(fd, SLABKIT_PROFILE_PROTO, kind);
  close(fd);
  return error;
}

/* `reset`: whether the profiles start over after the peak (and a churn). */
static int peak(const char* peak_path, const char* heap_path, int reset) {
  slabkit_class session;
  slabkit_class_config config = {.name = "session", .size = kSessionSize};
  if (slabkit_class_register(&config, &session) != 0) return 1;
  grow_to_peak(session);
  for (size_t i = 0; i < num_live; ++i) {
    if (live[i] == NULL) return 1;
    slabkit_release(session, live[i]);
  }
  num_live = 0;
  if (reset) {
    churn(session);
    slabkit_reset_heap_profile();
    after_reset(session);
  } else {
    after_peak(session);
  }
  if (write_profile(peak_path, SLABKIT_PROFILE_PEAK) != 0 ||
      write_profile(heap_path, SLABKIT_PROFILE_HEAP) != 0) {
    return 1;
  }
  printf("peak %d\n",
         (reset ? kAfterReset : kSessions) / kSessionSize * kSessionSize);
  return 0;
}

static slabkit_class stress_class;
static volatile int stop_churning;

static void* churn_thread(void* arg) {
  (void)arg;
  void* held[64];
  while (!stop_churning) {
    for (int i = 0; i < 64; ++i) held[i] = slabkit_allocate(stress_class);
    for (int i = 0; i < 64; ++i) slabkit_release(stress_class, held[i]);
  }
  return NULL;
}

static int stress(const char* out) {
  slabkit_class_config config = {.name = "stress", .size = 48};
  if (slabkit_class_register(&config, &stress_class) != 0) return 1;
  for (int round = 0; round < 20; ++round) {
    stop_churning = 0;
    pthread_t threads[4];
    for (int i = 0; i < 4; ++i) {
      if (pthread_create(&threads[i], NULL, churn_thread, NULL) != 0) return 1;
    }
    for (int i = 0; i < 5; ++i) {
      raise(SIGUSR2);
      const pid_t child = fork();
      if (child < 0) return 1;
      if (child == 0) {
        void* p[256];
        for (int j = 0; j < 256; ++j) p[j] = slabkit_allocate(stress_class);
        const int fd = open("/dev/null", O_WRONLY);
        slabkit_write_heap_profile(fd, SLABKIT_PROFILE_PROTO,
                                   SLABKIT_PROFILE_HEAP);
        for (int j = 0; j < 256; ++j) slabkit_release(stress_class, p[j]);
        _exit(p[255] != NULL ? 0 : 1);
      }
      int status;
      if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
          WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child %d failed: status %d\n", (int)child, status);
        return 1;
      }
    }
    stop_churning = 1;
    for (int i = 0; i < 4; ++i) pthread_join(threads[i], NULL);
  }
  const int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  slabkit_write_heap_profile(fd, SLABKIT_PROFILE_PROTO, SLABKIT_PROFILE_HEAP);
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "stress") == 0) return stress(argv[2]);
  if (argc == 4 && strcmp(argv[1], "peak") == 0) {
    return peak(argv[2], argv[3], 0);
  }
  if (argc == 4 && strcmp(argv[1], "reset") == 0) {
    return peak(argv[2], argv[3], 1);
  }
  if (argc == 2 && strcmp(argv[1], "malloc") == 0) {
    allocate_buffers();
    for (size_t i = 0; i < num_live; ++i) {
      if (live[i] == NULL) return 1;
      memset(live[i], 1, kBufferSize);
    }
    allocate_large_blocks();
    if (live[num_live - 1] == NULL) return 1;
    const size_t first_medium = num_live;
    allocate_medium_blocks();
    /* The profile counts a block's class size: malloc_usable_size's. */
    size_t medium_bytes = 0;
    for (size_t i = first_medium; i < num_live; ++i) {
      if (live[i] == NULL) return 1;
      medium_bytes += malloc_usable_size(live[i]);
    }
    printf("buffers %d\nlarge %d\nmedium %zu\n",
           kBuffers / kBufferSize * kBufferSize, kLargeBlocks * kLargeBlockSize,
           medium_bytes);
    return 0; /* the buffers stay live: the profile at exit shows them */
  }
  if (argc != 4 || strcmp(argv[1], "classes") != 0) {
    fprintf(stderr,
            "usage: %s classes OUT FORMAT | peak|reset PEAK HEAP | stress OUT "
            "| malloc\n",
            argv[0]);
    return 2;
  }
  slabkit_class session, packet;
  slabkit_class_config session_config = {.name = "session",
                                         .size = kSessionSize};
  slabkit_class_config packet_config = {.name = "packet", .size = kPacketSize};
  if (slabkit_class_register(&session_config, &session) != 0 ||
      slabkit_class_register(&packet_config, &packet) != 0) {
    return 1;
  }
  allocate_sessions(session);
  allocate_packets(packet);
  churn(packet);
  for (size_t i = 0; i < num_live; ++i) {
    if (live[i] == NULL) return 1;
  }
  const int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  if (slabkit_write_heap_profile(fd, atoi(argv[3]), SLABKIT_PROFILE_HEAP) !=
      0) {
    return 1;
  }
  close(fd);
  if (slabkit_write_heap_profile(fd, 7, SLABKIT_PROFILE_HEAP) != EINVAL ||
      slabkit_write_heap_profile(fd, SLABKIT_PROFILE_PROTO, 7) != EINVAL) {
    return 1;
  }
  printf("session %d\npacket %d\n", kSessions / kSessionSize * kSessionSize,
         kPackets / kPacketSize * kPacketSize);
  return 0;
}

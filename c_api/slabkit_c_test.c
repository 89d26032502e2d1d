/* The C API, exercised from C11. Each CHECK failure prints its line; the
 * test exits non-zero when any failed. */
#define _POSIX_C_SOURCE 200809L /* sigaction under -std=c11 */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_api/slabkit.h"

static int failures = 0;

/* Reads `fd` to its end (at most size - 1 bytes), then closes it. */
static void read_all(int fd, char* text, size_t size) {
  size_t got = 0;
  ssize_t n;
  while (got < size - 1 && (n = read(fd, text + got, size - 1 - got)) > 0) {
    got += (size_t)n;
  }
  text[got] = '\0';
  close(fd);
}
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

struct node {
  struct node* next;
  int value;
};

/* Registered before main() by the Slitter-style macro. */
SLABKIT_DEFINE_CLASS(node_class, {.name = "node", .size = sizeof(struct node)});

static void test_define_class_macro(void) {
  CHECK(node_class.id != 0);
  CHECK(strcmp(slabkit_class_name(node_class), "node") == 0);
  struct node* a = slabkit_allocate(node_class);
  struct node* b = slabkit_allocate(node_class);
  CHECK(a != NULL && b != NULL && a != b);
  a->next = b;
  b->value = 42;
  CHECK(a->next->value == 42);
  slabkit_release(node_class, a);
  slabkit_release(node_class, b);
}

static int register_errno(slabkit_class_config config) {
  slabkit_class out = {0};
  int rc = slabkit_class_register(&config, &out);
  CHECK(rc == 0 || out.id == 0); /* *out unchanged on error */
  return rc;
}

static void test_bad_configs(void) {
  slabkit_class out;
  slabkit_class_config ok = {.name = "ok", .size = 8};
  CHECK(slabkit_class_register(NULL, &out) == EINVAL);
  CHECK(slabkit_class_register(&ok, NULL) == EINVAL);
  CHECK(register_errno((slabkit_class_config){.name = NULL, .size = 8}) ==
        EINVAL);
  CHECK(register_errno((slabkit_class_config){.name = "", .size = 8}) ==
        EINVAL);
  CHECK(register_errno(
            (slabkit_class_config){.name = "a-name-that-is-far-too-long-for-"
                                           "slabkit-to-accept-as-a-class-name",
                                   .size = 8}) == EINVAL);
  CHECK(register_errno((slabkit_class_config){.name = "zero", .size = 0}) ==
        EINVAL);
  CHECK(register_errno(
            (slabkit_class_config){.name = "big", .size = 1 << 30}) == EINVAL);
  CHECK(register_errno((slabkit_class_config){
            .name = "odd", .size = 8, .alignment = 12}) == EINVAL);
  CHECK(register_errno((slabkit_class_config){
            .name = "wide", .size = 8, .alignment = 1 << 20}) == EINVAL);
  CHECK(register_errno((slabkit_class_config){
            .name = "lost", .size = 8, .mapper = "no-such-mapper"}) == ENOENT);
  CHECK(register_errno((slabkit_class_config){
            .name = "huge-mags", .size = 8, .magazine_capacity = 5000}) ==
        EINVAL);
}

static void test_allocate_release(void) {
  slabkit_class cls;
  slabkit_class_config config = {
      .name = "buffer", .size = 200, .alignment = 64};
  CHECK(slabkit_class_register(&config, &cls) == 0);
  CHECK(cls.id != 0);
  void* objects[1000];
  for (int i = 0; i < 1000; ++i) {
    objects[i] = slabkit_allocate(cls);
    CHECK(objects[i] != NULL);
    CHECK((uintptr_t)objects[i] % 64 == 0);
    memset(objects[i], i & 0xFF, 200);
  }
  for (int i = 0; i < 1000; ++i) {
    CHECK(((unsigned char*)objects[i])[199] == (i & 0xFF));
    slabkit_release(cls, objects[i]);
  }
  slabkit_release(cls, NULL); /* no-op */
}

static void test_zero_init_and_mapper_by_name(void) {
  slabkit_class cls;
  slabkit_class_config config = {
      .name = "zeroed", .size = 64, .zero_init = true, .mapper = "mmap"};
  CHECK(slabkit_class_register(&config, &cls) == 0);
  for (int round = 0; round < 3; ++round) {
    unsigned char* p = slabkit_allocate(cls);
    CHECK(p != NULL);
    for (int i = 0; i < 64; ++i) CHECK(p[i] == 0);
    memset(p, 0xFF, 64);
    slabkit_release(cls, p);
  }
}

static void test_unknown_class(void) {
  slabkit_class none = {0};
  errno = 0;
  CHECK(slabkit_allocate(none) == NULL);
  CHECK(errno == EINVAL);
  CHECK(slabkit_class_name(none) == NULL);
}

static void test_tuned_caches_and_idle_memory(void) {
  /* This test reads a released object, which a sampled object (hardened
   * library) forbids. */
  slabkit_set_sample_interval(0);
  slabkit_class cls;
  slabkit_class_config config = {.name = "tuned",
                                 .size = 96,
                                 .magazine_capacity = 4,
                                 .depot_magazines = 1};
  CHECK(slabkit_class_register(&config, &cls) == 0);
  void* objects[5000];
  for (int i = 0; i < 5000; ++i) {
    objects[i] = slabkit_allocate(cls);
    CHECK(objects[i] != NULL);
    memset(objects[i], 0x3C, 96);
  }
  for (int i = 0; i < 5000; ++i) slabkit_release(cls, objects[i]);
  slabkit_flush_thread_cache();
  /* Every object is free now, so their spans can be given back. */
  CHECK(slabkit_release_idle_memory() > 0);
  /* Type-stable: a released object's address stays readable. */
  CHECK(((volatile unsigned char*)objects[0])[0] == 0);
  void* again = slabkit_allocate(cls);
  CHECK(again != NULL);
  slabkit_release(cls, again);
  slabkit_set_sample_interval(256 << 10);
}

static void test_stats(void) {
  slabkit_class cls;
  slabkit_class_config config = {.name = "stats-from-c", .size = 30};
  CHECK(slabkit_class_register(&config, &cls) == 0);
  void* objects[300];
  for (int i = 0; i < 300; ++i) objects[i] = slabkit_allocate(cls);
  for (int i = 0; i < 100; ++i) slabkit_release(cls, objects[i]);
  struct slabkit_class_stats s;
  CHECK(slabkit_class_stats(cls, &s) == 0);
  CHECK(strcmp(s.name, "stats-from-c") == 0);
  CHECK(s.allocations == 300);
  CHECK(s.releases == 100);
  CHECK(s.live == 200);
  CHECK(s.in_use_bytes == 200 * s.object_size);
  slabkit_class none = {0};
  CHECK(slabkit_class_stats(none, &s) == EINVAL);
  CHECK(slabkit_class_stats(cls, NULL) == EINVAL);

  int fds[2];
  CHECK(pipe(fds) == 0);
  CHECK(slabkit_stats_report(fds[1], SLABKIT_REPORT_JSON) == 0);
  close(fds[1]);
  char text[65536] = {0};
  read_all(fds[0], text, sizeof(text));
  CHECK(strstr(text, "\"name\":\"stats-from-c\"") != NULL);
  CHECK(strstr(text, "\"allocations\":300,\"releases\":100,\"live\":200") !=
        NULL);
  CHECK(slabkit_stats_report(1, 7) == EINVAL);
  for (int i = 100; i < 300; ++i) slabkit_release(cls, objects[i]);
}

/* Runs `misuse` in a child; checks it aborts with `words` on stderr. */
static void expect_abort(void (*misuse)(void), const char* words) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    misuse();
    _exit(0);
  }
  close(fds[1]);
  char text[1024] = {0};
  read_all(fds[0], text, sizeof(text));
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  if (strstr(text, words) == NULL) {
    fprintf(stderr, "expected \"%s\" in: %s\n", words, text);
    ++failures;
  }
}

static void release_to_wrong_class(void) {
  slabkit_class other;
  slabkit_class_config config = {.name = "other", .size = sizeof(struct node)};
  slabkit_class_register(&config, &other);
  slabkit_release(other, slabkit_allocate(node_class));
}

static void release_twice(void) {
  void* p = slabkit_allocate(node_class);
  slabkit_release(node_class, p);
  slabkit_release(node_class, p);
}

static void release_stack_address(void) {
  int local = 0;
  slabkit_release(node_class, &local);
}

static void test_misuse_is_reported(void) {
  expect_abort(release_to_wrong_class,
               "release to the wrong class: address 0x");
  expect_abort(release_twice, "double free: address 0x");
  expect_abort(release_stack_address,
               "release of an address slabkit does not manage");
}

/* Last: uses up every class id in this process. */
static void test_class_ids_run_out(void) {
  slabkit_class cls;
  slabkit_class_config config = {.name = "filler", .size = 8};
  int rc;
  do {
    rc = slabkit_class_register(&config, &cls);
  } while (rc == 0);
  CHECK(rc == ENOSPC);
  /* Existing classes keep working. */
  void* p = slabkit_allocate(node_class);
  CHECK(p != NULL);
  slabkit_release(node_class, p);
}

/* A signal handler reads counters while the interrupted code holds objects
 * (async-signal-safe: see slabkit_class_counters). */
static slabkit_class counted_class;
static volatile sig_atomic_t handler_result = -1;
static struct slabkit_counters handler_counters;

static void read_counters_on_signal(int signo) {
  (void)signo;
  handler_result = slabkit_class_counters(counted_class, &handler_counters);
}

static void test_counters_from_a_signal_handler(void) {
  slabkit_class_config config = {.name = "counters-from-c", .size = 100};
  CHECK(slabkit_class_register(&config, &counted_class) == 0);
  void* objects[50];
  for (int i = 0; i < 50; ++i) objects[i] = slabkit_allocate(counted_class);
  for (int i = 0; i < 20; ++i) slabkit_release(counted_class, objects[i]);
  struct sigaction action = {0};
  struct sigaction previous;
  action.sa_handler = read_counters_on_signal;
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(SIGUSR2, &action, &previous) == 0);
  errno = 0;
  CHECK(raise(SIGUSR2) == 0);
  CHECK(errno == 0);
  CHECK(sigaction(SIGUSR2, &previous, NULL) == 0);
  CHECK(handler_result == 0);
  struct slabkit_class_stats s;
  CHECK(slabkit_class_stats(counted_class, &s) == 0);
  CHECK(handler_counters.allocations == 50);
  CHECK(handler_counters.releases == 20);
  CHECK(handler_counters.live == 30);
  CHECK(handler_counters.in_use_bytes == 30 * s.object_size);
  CHECK(handler_counters.reserved_bytes == s.reserved_bytes);
  CHECK(handler_counters.committed_bytes == s.committed_bytes);
  CHECK(handler_counters.committed_bytes > 0);
  slabkit_class none = {0};
  struct slabkit_counters c;
  CHECK(slabkit_class_counters(none, &c) == EINVAL);
  CHECK(slabkit_class_counters(counted_class, NULL) == EINVAL);
  for (int i = 20; i < 50; ++i) slabkit_release(counted_class, objects[i]);
}

int main(void) {
  test_define_class_macro();
  test_bad_configs();
  test_allocate_release();
  test_zero_init_and_mapper_by_name();
  test_unknown_class();
  test_tuned_caches_and_idle_memory();
  test_stats();
  test_counters_from_a_signal_handler();
  test_misuse_is_reported();
  test_class_ids_run_out();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all C API checks passed\n");
  return 0;
}

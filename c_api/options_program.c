/* Allocates a little and exits: run under SLABKIT_OPTIONS by
 * options_test.sh. With an argument PREFIX it also writes the class API's
 * report as JSON to PREFIX.json and in Prometheus' format to PREFIX.prom,
 * at one moment, for the test to compare. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "c_api/slabkit.h"

static int WriteReport(const char* prefix, const char* suffix, int format) {
  char path[4096];
  snprintf(path, sizeof(path), "%s%s", prefix, suffix);
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  const int rc = slabkit_stats_report(fd, format);
  close(fd);
  return rc;
}

int main(int argc, char** argv) {
  slabkit_class cls;
  slabkit_class_config config = {.name = "options-demo", .size = 24};
  if (slabkit_class_register(&config, &cls) != 0) return 1;
  void* objects[100];
  for (int i = 0; i < 100; ++i) objects[i] = slabkit_allocate(cls);
  for (int i = 0; i < 40; ++i) slabkit_release(cls, objects[i]);
  if (argc > 1) {
    if (WriteReport(argv[1], ".json", SLABKIT_REPORT_JSON) != 0) return 1;
    if (WriteReport(argv[1], ".prom", SLABKIT_REPORT_PROMETHEUS) != 0) return 1;
  }
  return 0;
}

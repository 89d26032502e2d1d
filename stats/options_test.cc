#include "stats/options.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace slabkit {
namespace {

std::string Warnings(const char* text, Options* options, int* count) {
  FILE* file = tmpfile();
  *count = ParseOptions(text, options, fileno(file));
  fflush(file);
  rewind(file);
  char buffer[4096] = {};
  const size_t n = fread(buffer, 1, sizeof(buffer) - 1, file);
  fclose(file);
  return std::string(buffer, n);
}

TEST(OptionsTest, EveryKey) {
  Options o;
  int warnings;
  Warnings(
      "stats=1,stats_file=/tmp/s.json,stats_format=json,"
      "sample_interval=50,profile=1,profile_file=/tmp/h,profile_signal=12,"
      "decay_ms=250,background_thread=0",
      &o, &warnings);
  EXPECT_EQ(warnings, 0);
  EXPECT_TRUE(o.stats_at_exit);
  EXPECT_STREQ(o.stats_file, "/tmp/s.json");
  EXPECT_EQ(o.stats_format, ReportFormat::kJson);
  EXPECT_EQ(o.sample_interval, 50);
  EXPECT_TRUE(o.profile_at_exit);
  EXPECT_STREQ(o.profile_file, "/tmp/h");
  EXPECT_EQ(o.profile_signal, 12);
  EXPECT_EQ(o.decay_ms, 250);
  EXPECT_FALSE(o.background_thread);
  Warnings("decay_ms=-1,background_thread=1", &o, &warnings);
  EXPECT_EQ(warnings, 0);
  EXPECT_EQ(o.decay_ms, -1);
  EXPECT_TRUE(o.background_thread);
  EXPECT_EQ(o.profile_format, ProfileFormat::kText);
  EXPECT_EQ(o.profile_kind, ProfileKind::kHeap);
  Warnings("profile_format=proto,profile_kind=peak", &o, &warnings);
  EXPECT_EQ(warnings, 0);
  EXPECT_EQ(o.profile_format, ProfileFormat::kProto);
  EXPECT_EQ(o.profile_kind, ProfileKind::kPeak);
  EXPECT_NE(Warnings("profile_format=pb,profile_kind=max", &o, &warnings), "");
  EXPECT_EQ(warnings, 2);
  EXPECT_EQ(o.profile_format, ProfileFormat::kProto)
      << "a bad value changes nothing";
  EXPECT_EQ(o.profile_kind, ProfileKind::kPeak);
}

TEST(OptionsTest, NothingSetKeepsDefaults) {
  Options o;
  int warnings;
  EXPECT_EQ(Warnings(nullptr, &o, &warnings), "");
  EXPECT_EQ(Warnings("", &o, &warnings), "");
  EXPECT_EQ(Warnings(",,", &o, &warnings), "");
  EXPECT_FALSE(o.stats_at_exit);
  EXPECT_EQ(o.sample_interval, -1);
  EXPECT_EQ(o.decay_ms, 100);
  EXPECT_FALSE(o.background_thread);
}

TEST(OptionsTest, UnknownKeysAndBadValuesWarnAndAreIgnored) {
  Options o;
  int warnings;
  const std::string text = Warnings(
      "colour=blue,stats=yes,stats_format=xml,stats=1,decay_ms=-2,"
      "background_thread=2",
      &o, &warnings);
  EXPECT_EQ(warnings, 5);
  EXPECT_NE(text.find("bad value in \"decay_ms=-2\""), std::string::npos);
  EXPECT_EQ(o.decay_ms, 100);
  EXPECT_NE(text.find("unknown option \"colour=blue\", ignored"),
            std::string::npos);
  EXPECT_NE(text.find("bad value in \"stats=yes\""), std::string::npos);
  EXPECT_NE(text.find("bad value in \"stats_format=xml\""), std::string::npos);
  EXPECT_TRUE(o.stats_at_exit) << "good settings still apply";
  EXPECT_EQ(o.stats_format, ReportFormat::kText);
}

}  // namespace
}  // namespace slabkit

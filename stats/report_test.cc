#include "stats/report.h"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "gtest/gtest.h"

namespace slabkit {
namespace {

// A stand-in allocator with two classes.
struct FakeAllocator {
  GlobalStats GetGlobalStats() const {
    GlobalStats g;
    g.classes = 2;
    g.reserved_bytes = 8 << 20;
    g.mappers = 1;
    g.by_mapper[0] = {"mmap", 8 << 20, 1 << 20};
    g.kernel_mappings = 42;
    return g;
  }
  template <typename F>
  void ForEachClass(F&& f) const {
    ClassStats a;
    a.id = 1;
    a.name = "node";
    a.mapper = "mmap";
    a.object_size = 48;
    a.allocations = 1000;
    a.releases = 400;
    a.live = 600;
    f(a);
    ClassStats b = a;
    b.id = 2;
    b.name = "odd \"name\"\n";
    f(b);
  }
};

std::string Capture(ReportFormat format) {
  FILE* file = tmpfile();
  WriteReport(FakeAllocator(), "default", fileno(file), format);
  fflush(file);
  rewind(file);
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), file)) > 0;) {
    out.append(buffer, n);
  }
  fclose(file);
  return out;
}

TEST(ReportTest, TextIsATable) {
  const std::string text = Capture(ReportFormat::kText);
  EXPECT_NE(text.find("slabkit stats: default: 2 classes"), std::string::npos);
  EXPECT_NE(text.find("42 kernel mappings"), std::string::npos);
  EXPECT_NE(text.find("mapper mmap"), std::string::npos);
  EXPECT_NE(text.find("node"), std::string::npos);
  EXPECT_NE(text.find("1000"), std::string::npos);
}

TEST(ReportTest, JsonHasStableFieldsAndEscapesNames) {
  const std::string json = Capture(ReportFormat::kJson);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 3), "]}\n");
  for (const char* field :
       {"\"allocator\":\"default\"", "\"classes\":2", "\"kernel_mappings\":42",
        "\"mappers\":[{\"name\":\"mmap\"", "\"class_stats\":[{\"id\":1",
        "\"allocations\":1000", "\"releases\":400", "\"live\":600",
        "\"name\":\"odd \\\"name\\\"\\u000a\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  // Every brace and bracket closes.
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '\\' && in_string) {
      ++i;
      continue;
    }
    if (json[i] == '"') in_string = !in_string;
    if (in_string) continue;
    if (json[i] == '{' || json[i] == '[') ++depth;
    if (json[i] == '}' || json[i] == ']') --depth;
  }
  EXPECT_EQ(depth, 0);
}

// Prometheus' text format: each family one group, after its HELP and TYPE
// lines; label values escaped (backslash, quote, newline).
TEST(ReportTest, PrometheusGroupsFamiliesAndEscapesLabels) {
  const std::string text = Capture(ReportFormat::kPrometheus);
  for (const char* line :
       {"# TYPE slabkit_class_allocations_total counter\n",
        "\nslabkit_class_allocations_total{allocator=\"default\","
        "class=\"node\",id=\"1\"} 1000\n",
        "\nslabkit_class_live_objects{allocator=\"default\",class=\"odd "
        "\\\"name\\\"\\n\",id=\"2\"} 600\n",
        "\nslabkit_kernel_mappings{allocator=\"default\"} 42\n",
        "\nslabkit_mapper_reserved_bytes{allocator=\"default\",mapper=\"mmap\"}"
        " "
        "8388608\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in " << text;
  }
  // One TYPE line per family, and every sample of a family right after it.
  int types = 0;
  std::string family;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    ASSERT_NE(end, std::string::npos);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.rfind("# TYPE ", 0) == 0) {
      ++types;
      family = line.substr(7, line.find(' ', 7) - 7);
    } else if (line.rfind("# HELP ", 0) != 0) {
      EXPECT_EQ(line.substr(0, line.find('{')), family) << line;
    }
  }
  EXPECT_EQ(types, PrometheusFamilyCount());
}

}  // namespace
}  // namespace slabkit

// Helpers shared by the tests: paths into the source tree, files and scratch directories, small
// scenarios, hashing of results.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/scenario/load.hpp"

namespace commsim::test {

inline std::string source_path(const std::string& relative) { return std::string(COMMSIM_SOURCE_DIR) + "/" + relative; }

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// A fresh empty directory under the system temp dir (commsim-TAG-XXXXXX), removed with everything
// in it at the end of the test, also when a test took its write permission away.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    std::string name = (std::filesystem::temp_directory_path() / ("commsim-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(name.data())) throw std::runtime_error("mkdtemp failed for " + name);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to the file `name` in the directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    write_text(path_ / name, text);
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

inline Scenario small_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/good/small-city.yaml"), overrides);
}

// FNV-1a over the bytes of a run's per-community service and role totals, its daily records, the
// citywide coverage, mean/p50/p90 wait and Gini per service, the citywide wait histograms, each
// community's households, residents, staff and access share, and the total cost. Other columns
// (citywide counts and role figures, cost parts, yearly series) are derived from these or not
// covered: a difference there alone does not change the hash.
struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) { h ^= c[i]; h *= 1099511628211ull; }
  }
  template <class T> void value(const T& v) { bytes(&v, sizeof v); }
  template <class T> void vec(const std::vector<T>& v) { if (!v.empty()) bytes(v.data(), v.size() * sizeof(T)); }
};

inline uint64_t hash_run(const RunResult& r) {
  Hasher h;
  for (const auto& t : r.service_totals) {
    h.value(t.demand); h.value(t.served); h.value(t.served_in_time); h.value(t.unmet); h.value(t.backlog_end);
    h.value(t.waited); h.value(t.wait_sum_min); h.value(t.wait_max_min); h.value(t.queue_area_min);
    h.value(t.p50_wait_min); h.value(t.p90_wait_min);
  }
  for (const auto& t : r.role_totals) {
    h.value(t.available_min); h.value(t.busy_min); h.value(t.travel_min); h.value(t.overhead_min);
    h.value(t.overtime_min); h.value(t.reserved_min);
  }
  const DailyRecords& d = r.daily;
  h.vec(d.demand); h.vec(d.served); h.vec(d.served_in_time); h.vec(d.unmet); h.vec(d.backlog);
  h.vec(d.wait_mean_min); h.vec(d.wait_p50_min); h.vec(d.wait_p90_min); h.vec(d.wait_max_min);
  h.vec(d.available_min); h.vec(d.busy_min); h.vec(d.travel_min); h.vec(d.overhead_min); h.vec(d.overtime_min);
  for (const auto& c : r.citywide) {
    h.value(c.coverage); h.value(c.mean_wait_min); h.value(c.p50_wait_min); h.value(c.p90_wait_min); h.value(c.gini);
  }
  for (const auto& w : r.wait_hist) h.vec(w.counts);
  for (const auto& c : r.communities) {
    h.value(c.households); h.value(c.residents); h.vec(c.staff); h.value(c.access_share);
  }
  h.value(r.cost_total_yuan);
  return h.h;
}

}  // namespace commsim::test

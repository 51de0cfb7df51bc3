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

#include "sim/metrics/result_schema.hpp"
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

// 12 communities of two census districts (tests/data/good/small-city.yaml).
inline Scenario small_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/good/small-city.yaml"), overrides);
}

// 12 communities whose households come from marginals, not the census (synthetic-city.yaml).
inline Scenario synthetic_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/good/synthetic-city.yaml"), overrides);
}

// FNV-1a over the bytes of every output column of a run: any difference in any value changes it.
struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) { h ^= c[i]; h *= 1099511628211ull; }
  }
  template <class T> void value(const T& v) { bytes(&v, sizeof v); }
  template <class T> void vec(const std::vector<T>& v) { if (!v.empty()) bytes(v.data(), v.size() * sizeof(T)); }
};

// The results by household type a hand-made RunResult needs to be written: per community the
// households and residents by type, and the (empty) household-type tables.
inline void add_household_type_tables(RunResult& run) {
  for (auto& c : run.communities) {
    c.households_by_type.assign(kResultHouseholdTypes, 0);
    c.residents_by_type.assign(kResultHouseholdTypes, 0);
  }
  run.household_types.assign(kResultHouseholdTypes, HouseholdTypeResult{});
  for (size_t t = 0; t < kResultHouseholdTypes; ++t) run.household_types[t].name = kHouseholdTypeNames[t];
  run.household_type_services.assign(kResultHouseholdTypes * run.service_names.size(), GroupServiceTotals{});
}

// Every column of the results schema (sim/metrics/result_schema.hpp): names, shapes and values.
// A field added to the schema is covered without touching this function.
inline uint64_t hash_run(const RunResult& r) {
  Hasher h;
  for_each_run_column(r, [&](const std::string& group, Storage, const ColumnData& c) {
    h.bytes(group.data(), group.size());
    h.bytes(c.name.data(), c.name.size());
    h.vec(c.dims);
    if (c.dtype == Dtype::text) {
      for (const auto& s : std::get<std::vector<std::string>>(c.values)) h.bytes(s.data(), s.size() + 1);
    } else {
      h.bytes(c.data(), c.count() * c.element_bytes());
    }
  });
  return h.h;
}

}  // namespace commsim::test

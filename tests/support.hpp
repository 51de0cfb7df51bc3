// Helpers shared by the tests: paths into the source tree, small scenarios, hashing of results.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sim/metrics/result_schema.hpp"
#include "sim/scenario/load.hpp"

namespace commsim::test {

inline std::string source_path(const std::string& relative) { return std::string(COMMSIM_SOURCE_DIR) + "/" + relative; }

inline Scenario small_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/good/small-city.yaml"), overrides);
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

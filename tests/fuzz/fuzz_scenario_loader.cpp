// libFuzzer target over the scenario loader (issue 9, reliability). Built only with
// -DCOMMSIM_FUZZ=ON and clang (scripts/fuzz.sh); not part of commsim_tests.
//
// The input is split on its first NUL byte, if any: the part before is a scenario's YAML text,
// loaded with load_scenario_text; the part after is written to a scratch file that the scenario can
// reach as "fuzz.csv" (city.communities_file or population.households_file), and is also fed
// straight to the household CSV reader. Any exception other than InputError is a finding (the
// loader must turn every problem with its input into InputError), and so is any sanitizer report,
// crash, hang or runaway allocation.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/core/error.hpp"
#include "sim/population/population.hpp"
#include "sim/scenario/load.hpp"

namespace {

// A scratch tree laid out like tests/data: the scenario is loaded from <scratch>/bad/, so that the
// corpus' "extends: ../good/minimal.yaml" finds a copy of the shipped minimal scenario.
const std::string& scratch_dir() {
  static const std::string dir = [] {
    char templ[] = "/tmp/commsim-fuzz-XXXXXX";
    const char* made = ::mkdtemp(templ);
    if (!made) std::abort();
    const std::filesystem::path root(made);
    std::filesystem::create_directories(root / "bad");
    std::filesystem::create_directories(root / "good");
    std::filesystem::copy_file(std::filesystem::path(COMMSIM_SOURCE_DIR) / "tests/data/good/minimal.yaml",
                               root / "good/minimal.yaml");
    return (root / "bad").string();
  }();
  return dir;
}

[[noreturn]] void finding(const char* what, const char* detail) {
  std::fprintf(stderr, "FINDING: %s: %s\n", what, detail);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string yaml = input.substr(0, nul);
  const std::string csv = nul == std::string::npos ? std::string() : input.substr(nul + 1);
  const std::string dir = scratch_dir();
  const std::string csv_path = dir + "/fuzz.csv";
  {
    std::ofstream f(csv_path, std::ios::binary | std::ios::trunc);
    f << csv;
  }
  try {
    (void)commsim::load_scenario_text(yaml, "fuzz.yaml", dir);
  } catch (const commsim::InputError&) {
  } catch (const std::exception& e) {
    finding("load_scenario_text threw a non-InputError exception", e.what());
  } catch (...) {
    finding("load_scenario_text threw a non-std exception", "");
  }
  if (nul != std::string::npos) {
    try {
      (void)commsim::load_households_csv(csv_path);
    } catch (const commsim::InputError&) {
    } catch (const std::exception& e) {
      finding("load_households_csv threw a non-InputError exception", e.what());
    } catch (...) {
      finding("load_households_csv threw a non-std exception", "");
    }
  }
  return 0;
}

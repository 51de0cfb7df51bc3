// docs/architecture.md's module map says what CMake builds: for every module, the modules its
// headers use (PUBLIC) and those only its sources use (PRIVATE), as CMakeLists.txt's
// commsim_module lines declare them (written to build/layers/map.txt at configure time).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support.hpp"

namespace {

struct Layer {
  std::set<std::string> headers, sources;
};

std::set<std::string> words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

// map.txt: "<module> <public>... | <private>..." per line; the line "cli | <modules>" lists all.
std::map<std::string, Layer> built_map(std::vector<std::string>& modules) {
  std::map<std::string, Layer> out;
  std::istringstream in(commsim::test::read_text(COMMSIM_LAYER_MAP));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t bar = line.find('|');
    REQUIRE(bar != std::string::npos);
    std::istringstream head(line.substr(0, bar));
    std::string name;
    head >> name;
    Layer layer;
    for (std::string w; head >> w;) layer.headers.insert("commsim_" + w);
    for (const auto& w : words(line.substr(bar + 1))) layer.sources.insert("commsim_" + w);
    if (name == "cli") {
      for (const auto& w : words(line.substr(bar + 1))) modules.push_back(w);
      layer.sources = {"commsim_all"};
      out["commsim"] = layer;
    } else {
      out["commsim_" + name] = layer;
    }
  }
  return out;
}

// Backticked commsim_* names in one table cell.
std::set<std::string> targets_in(const std::string& cell) {
  std::set<std::string> out;
  for (size_t at = cell.find("`commsim"); at != std::string::npos; at = cell.find("`commsim", at + 1)) {
    const size_t end = cell.find('`', at + 1);
    out.insert(cell.substr(at + 1, end - at - 1));
  }
  return out;
}

// Rows of the module map whose folder is under sim/: target -> (headers use, sources use).
std::map<std::string, Layer> documented_map(std::vector<std::string>& folders) {
  std::map<std::string, Layer> out;
  std::istringstream in(commsim::test::read_text(commsim::test::source_path("docs/architecture.md")));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `sim/", 0) != 0) continue;
    std::vector<std::string> cells;  // "| a | b |" -> a, b
    std::istringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) {
      const size_t first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
      cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
    }
    REQUIRE(cells.size() == 5);
    folders.push_back(cells[0]);
    const auto target = targets_in(cells[1]);
    REQUIRE(target.size() == 1);
    out[*target.begin()] = Layer{targets_in(cells[3]), targets_in(cells[4])};
  }
  return out;
}

}  // namespace

TEST_CASE("docs/architecture.md's module map matches the CMake modules", "[architecture][docs]") {
  std::vector<std::string> modules, folders;
  const auto built = built_map(modules);
  const auto documented = documented_map(folders);
  REQUIRE(modules.size() >= 10);
  CHECK(documented.size() == built.size());
  for (const auto& [target, layer] : built) {
    INFO(target);
    REQUIRE(documented.count(target) == 1);
    CHECK(documented.at(target).headers == layer.headers);
    CHECK(documented.at(target).sources == layer.sources);
  }
  // One row per module, named after its folder; every folder under sim/ but cli/ is a module.
  for (const auto& m : modules) {
    INFO(m);
    CHECK(std::find(folders.begin(), folders.end(), "`sim/" + m + "/`") != folders.end());
  }
  for (const auto& entry : std::filesystem::directory_iterator(commsim::test::source_path("sim"))) {
    const std::string folder = entry.path().filename().string();
    INFO("sim/" << folder << " needs a commsim_module line in CMakeLists.txt");
    if (entry.is_directory() && folder != "cli") CHECK(std::find(modules.begin(), modules.end(), folder) != modules.end());
  }
}

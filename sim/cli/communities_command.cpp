// `commsim communities SCENARIO -o FILE.csv`: any city's communities (a census city's planned
// communities, a generated or a given city) as a communities file (issue 26, docs/cities.md).
#include <cstdio>

#include "sim/cli/cli.hpp"
#include "sim/engine/prepared.hpp"
#include "sim/io/communities_csv.hpp"
#include "sim/io/text_file.hpp"
#include "sim/scenario/load.hpp"

namespace commsim::cli {

namespace {

const char* const kCommunitiesUsage =
    "usage: commsim communities SCENARIO -o FILE.csv [--set key.path=value]... [--norms FILE]\n"
    "\nWrites the communities of SCENARIO's city (a census city's planned communities, generated or\n"
    "given ones) as a communities file: name, district, households, area_km2, x_m, y_m, is_new (and\n"
    "facility areas and staff.<role> where given). `--set city.communities_file=FILE.csv` on the same\n"
    "scenario runs the same communities with the same households and residents (docs/cities.md).\n"
    "The file is written whole or not at all (FILE.csv.partial, then a rename).\n";

}  // namespace

int cmd_communities(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"output", "set", "norms"}, {}, "communities");
  if (const auto status = usage_exit(a, a.positional.size() != 1 || !a.has("output"), kCommunitiesUsage)) return *status;
  const Scenario sc = load_scenario(a.positional[0], a.sets);
  check_not_an_input("--output", a.get("output"), sc.input_files);
  const std::shared_ptr<const PreparedInputs> prepared = prepare_inputs(sc);
  write_text_atomically(a.get("output"), communities_csv(prepared->specs), "--output");
  std::printf("%s: %zu communities of '%s'\n", a.get("output").c_str(), prepared->specs.size(), sc.name.c_str());
  return 0;
}

}  // namespace commsim::cli

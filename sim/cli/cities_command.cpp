// `commsim cities`: the provinces and prefecture-level cities of the census table, with the codes a
// scenario's city.census.city_code takes (issue 26) and their residents.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "sim/cli/cli.hpp"
#include "sim/core/json.hpp"
#include "sim/population/census.hpp"

namespace commsim::cli {

namespace {

const char* const kCitiesUsage =
    "usage: commsim cities [--census FILE] [--province CODE] [--json]\n"
    "\nLists the provinces (xx0000) and prefecture-level cities (xxxx00) of the census county table\n"
    "(default: the shipped scenarios/data/census-county-2020.csv) with their districts and counties\n"
    "(units), urban residents (城镇人口) and all residents, summed over the county rows. Each code runs\n"
    "as city.census.city_code; 000000 is the nation. --province keeps one province.\n";

struct Area {
  std::string code, province, name;
  int units = 0;
  long long urban = 0, residents = 0;
};

}  // namespace

int cmd_cities(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"census", "province"}, {"json"}, "cities");
  if (const auto status = usage_exit(a, false, kCitiesUsage)) return *status;
  const std::string path = a.get("census", std::string(COMMSIM_SCENARIOS_DIR) + "/data/census-county-2020.csv");
  const std::string province = a.get("province");
  if (!province.empty() && (province.size() != 6 || province.compare(2, 4, "0000") != 0))
    throw InputError(SourcePos{"command line", 0, 0}, "--province",
                     "'" + province + "' is not a province code: 6 digits ending in 0000 (e.g. 610000)");
  const CensusTable table = CensusTable::load(path);
  std::map<std::string, Area> areas;  // by code: provinces (xx0000) sort before their cities
  for (const CountyCensus* u : table.units_of_city("000000")) {
    if (!province.empty() && u->code.compare(0, 2, province, 0, 2) != 0) continue;
    for (const std::string code : {std::string("000000"), u->code.substr(0, 2) + "0000", u->code.substr(0, 4) + "00"}) {
      if (code == "000000" && !province.empty()) continue;
      Area& area = areas[code];
      area.code = code;
      area.province = u->province;
      area.name = code == "000000" ? "全国 (the nation)" : code.compare(2, 4, "0000") == 0 ? u->province : u->city;
      area.units += 1;
      area.urban += u->urban;
      area.residents += u->population;
    }
  }
  if (areas.empty())
    throw InputError(SourcePos{"command line", 0, 0}, "--province", "no county row of province " + province + " in " + path);
  if (a.has("json")) {
    Json list = Json::array();
    for (const auto& [code, area] : areas)
      list.push_back({{"code", code},
                      {"level", code == "000000" ? "nation" : code.compare(2, 4, "0000") == 0 ? "province" : "city"},
                      {"province", area.province},
                      {"name", area.name},
                      {"units", area.units},
                      {"urban_residents", area.urban},
                      {"residents", area.residents}});
    std::fputs(json_text(Json{{"census", path}, {"areas", list}}, -1).c_str(), stdout);
    return 0;
  }
  std::printf("%-8s %-28s %6s %16s %16s\n", "code", "name", "units", "urban residents", "residents");
  for (const auto& [code, area] : areas) {
    const std::string name = (code.compare(2, 4, "0000") == 0 ? "" : "  ") + area.name;
    std::printf("%-8s %s %6d %16lld %16lld\n", code.c_str(), padded(name, 28).c_str(), area.units, area.urban,
                area.residents);
  }
  return 0;
}

}  // namespace commsim::cli

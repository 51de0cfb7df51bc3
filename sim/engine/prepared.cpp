// Prepared inputs (prepared.hpp).
#include "sim/engine/prepared.hpp"

#include <map>

#include "sim/core/error.hpp"
#include "sim/engine/city.hpp"

namespace commsim {

namespace {

// Every community of the city has households in the file, and every community of the file is one
// of the city's.
std::vector<size_t> match_households(const std::string& file, const std::vector<LoadedCommunity>& loaded,
                                     const std::vector<CommunitySpec>& specs) {
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < loaded.size(); ++i) by_name[loaded[i].community] = i;
  std::map<std::string, size_t> spec_names;
  for (size_t i = 0; i < specs.size(); ++i) spec_names[specs[i].name] = i;
  std::vector<size_t> of_spec;
  for (const CommunitySpec& s : specs) {
    const auto it = by_name.find(s.name);
    if (it == by_name.end())
      throw InputError(SourcePos{file, 0, 0}, "population.households_file",
                       "community '" + s.name + "' of the city has no households in the file");
    of_spec.push_back(it->second);
  }
  for (const LoadedCommunity& l : loaded)
    if (!spec_names.count(l.community))
      throw InputError(SourcePos{file, 0, 0}, "population.households_file",
                       "community '" + l.community + "' in the file is not a community of the city");
  return of_spec;
}

// Uniform sizing partitions the city's family households: from one family household per community
// to the whole city in one community.
void check_uniform_size(const Scenario& sc, const PreparedInputs& p) {
  if (sc.sizing.mode != SizingMode::uniform) return;
  int64_t family = 0;
  if (p.household_file) {
    for (const size_t i : p.households_of_spec) family += static_cast<int64_t>((*p.household_file)[i].residents.family_households());
  } else {
    for (const CommunitySpec& s : p.specs) family += s.households;
  }
  if (sc.sizing.households <= family) return;
  throw InputError(SourcePos{sc.source_file, 0, 0}, "sizing.households",
                   std::to_string(sc.sizing.households) + " family households per community cannot be made of this city's " +
                       std::to_string(family) + " family households: the feasible range is 1-" + std::to_string(family));
}

}  // namespace

std::shared_ptr<const PreparedInputs> prepare_inputs(const Scenario& sc, const PreparedInputs* like) {
  auto p = std::make_shared<PreparedInputs>();
  if (sc.city.census.enabled()) {
    p->census_files = like && like->census_files && like->census_files->read_for(sc.city.census)
                          ? like->census_files
                          : read_census_inputs(sc.city.census);
    p->census = std::make_shared<const CensusCitySetup>(census_city_setup(sc, *p->census_files));
  }
  p->specs = p->census && sc.city.communities.empty() ? census_community_specs(*p->census) : as_given_communities(sc);
  const std::string& file = sc.population.households_file;
  if (!file.empty()) {
    const bool same = like && like->household_file && like->household_file_path == file;
    p->household_file = same ? like->household_file
                             : std::make_shared<const std::vector<LoadedCommunity>>(load_households_csv(file));
    p->household_file_path = file;
    p->households_of_spec = match_households(file, *p->household_file, p->specs);
  }
  check_uniform_size(sc, *p);
  return p;
}

}  // namespace commsim

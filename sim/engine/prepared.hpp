// Prepared inputs (issue 22): every input file of a scenario read and checked once, before the
// first replicate runs — the census and districts tables with the household templates fitted to
// them (census city), the households CSV matched to the city's communities — and the as-given
// communities. An immutable value: the replicates of a run and the runs of a study variant share
// it (RunOptions::prepared), and a study's variants share what they read from the same files
// (prepare_inputs' `like`). The communities CSV is read with the scenario (scenario/load.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/census_city.hpp"
#include "sim/population/population.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct PreparedInputs {
  std::vector<CommunitySpec> specs;               // the as-given communities, in order
  std::shared_ptr<const CensusInputs> census_files;  // census city: the files read and fitted
  std::shared_ptr<const CensusCitySetup> census;  // census city: districts and plan; null otherwise
  // Households file: the file's communities, read once, and for each spec the index of its
  // community in it (empty without a households file).
  std::shared_ptr<const std::vector<LoadedCommunity>> household_file;
  std::string household_file_path;
  std::vector<size_t> households_of_spec;
};

// Reads and checks every input file of `scenario`; throws InputError (file:line, key) on the
// first problem. With `like` (the inputs of another variant of the same study), files it read
// for the same keys are shared instead of read again.
std::shared_ptr<const PreparedInputs> prepare_inputs(const Scenario& scenario, const PreparedInputs* like = nullptr);

}  // namespace commsim

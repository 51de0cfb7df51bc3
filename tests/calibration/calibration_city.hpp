// The calibration tests' city: tests/data/calibration-city.yaml, the small city with its
// community-size shares inside the parameter registry's ranges.
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/load.hpp"
#include "tests/support.hpp"

namespace commsim::test {

inline Scenario calibration_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/calibration-city.yaml"), overrides);
}

}  // namespace commsim::test

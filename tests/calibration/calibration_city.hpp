// The calibration tests' city: tests/data/calibration-city.yaml, the small city with its
// community-size shares inside the parameter registry's ranges.
#pragma once
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/scenario/load.hpp"
#include "tests/support.hpp"

namespace commsim::test {

inline Scenario calibration_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/calibration-city.yaml"), overrides);
}

// The item of `items` whose `name_of(item)` is `name` (a failed test when none): a parameter by
// key, a target check by name.
template <class T, class Name>
const T& item_named(const std::vector<T>& items, const std::string& name, Name name_of) {
  for (const auto& item : items)
    if (name_of(item) == name) return item;
  FAIL("none named " << name);
  throw std::logic_error("unreachable");
}

}  // namespace commsim::test

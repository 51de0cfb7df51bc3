// The one YAML quoter (tree.cpp), for every module that writes YAML text.
#pragma once
#include <string>

namespace commsim::scenario_detail {

// `text` as a double-quoted YAML scalar (quotes, backslashes and control characters escaped), which
// reads back as exactly `text`.
std::string yaml_quote(const std::string& text);

}  // namespace commsim::scenario_detail

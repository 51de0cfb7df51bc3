// Norm sets (issue 26): a jurisdiction's community norms as a file (scenarios/norms/*.yaml; keys in
// docs/norms.md). `norms: FILE` in a scenario, or `commsim run --norms FILE`, applies the set's
// sections as the scenario's rules (community-worker rule and committee counting, committee bands,
// facility areas, operating funds, size band) and makes them the figures compliance is judged
// against (Scenario::norms).
#pragma once
#include <string>

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// Reads and checks a norm file: unknown keys and bad values are InputErrors at their file:line
// with the key; an unreadable file one at `referenced_at` (the scenario's `norms` key or the
// command line).
NormSet read_norm_set(const std::string& path, const SourcePos& referenced_at = SourcePos{"command line", 0, 0},
                      const std::string& key = "norms");

// The keys of a norm file as a reference table (docs/norms.md).
std::string norm_set_reference_markdown();

}  // namespace commsim

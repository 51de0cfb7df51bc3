// The bibliography (sim/calibration/sources.yaml, embedded at build time): the keys a parameter's
// or a target's `source` may name (S… observed figures, P… population research, N… norm clauses,
// R-… reference-data rows, C-… census, WF-… working time), each with what it is and where it was
// read. A source is either a list of keys ("S2, S4") or "assumption: <why>"; check_source refuses
// anything else with the position of the value. docs/sources.md is generated from the same file.
#pragma once
#include <string>
#include <vector>

#include "sim/core/error.hpp"

namespace commsim {

struct SourceEntry {
  std::string key, group, what, where;
};

struct Bibliography {
  std::vector<std::pair<std::string, std::string>> groups;  // key prefix -> what the group is
  std::vector<SourceEntry> entries;                         // in file order
  const SourceEntry* find(const std::string& key) const;
};

// The shipped bibliography (parsed once; a broken shipped file is an internal error).
const Bibliography& bibliography();

// A `source:` value: "assumption: <reason>" (reason not empty), or keys separated by commas, each
// a key of the bibliography. Throws InputError at `pos` naming the unknown key (and the closest).
void check_source(const std::string& source, const SourcePos& pos, const std::string& key_path);

// True for an "assumption: ..." source.
bool is_assumption(const std::string& source);

// docs/sources.md, generated from the bibliography.
std::string sources_markdown();

}  // namespace commsim

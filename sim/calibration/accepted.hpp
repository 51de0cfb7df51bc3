// Accepted sets (issue 25, docs/calibration.md "The accepted set"): the parameter values a
// rejection ABC (`commsim calibrate --abc N`) found consistent with the targets, one row each. The
// file is a CSV: `#` comment lines first (the command that made it, the counts), then the header
// `draw,distance,KEY...` (KEY: registry parameters, as --set writes them) and one row per accepted
// draw. A scenario names it as `calibration.accepted_file`; --uncertainty and findings then draw
// each sample's calibrated parameters as one row of it (sim/uncertainty: draw_parameters).
#pragma once
#include <string>
#include <vector>

#include "sim/core/error.hpp"

namespace commsim {

struct AcceptedSet {
  std::string file;
  std::vector<std::string> keys;          // the parameters (columns after draw and distance)
  std::vector<SourcePos> key_pos;         // of each key in the header
  std::vector<int> draws;                 // per row: the draw's number in the ABC
  std::vector<double> distances;          // per row: its weighted distance
  std::vector<std::vector<double>> rows;  // [row][key]
};

// Reads an accepted set; every problem (no rows, a missing column, a key twice, a value that is
// not a finite number) is an InputError at file:line:column with `key` (the scenario key naming it).
AcceptedSet read_accepted_set(const std::string& path, const std::string& key);

// The file's text: `comments` as `# ` lines, then the header and the rows (values that read back
// exactly).
std::string accepted_set_csv(const std::vector<std::string>& comments, const AcceptedSet& set);

}  // namespace commsim

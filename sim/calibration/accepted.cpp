// Accepted sets (accepted.hpp): the CSV of an ABC's accepted parameter values.
#include "sim/calibration/accepted.hpp"

#include <algorithm>
#include <cmath>
#include <charconv>
#include <string_view>

#include "sim/core/csv.hpp"

namespace commsim {

namespace {

// The text with its `#` comment lines emptied (the reader skips blank lines; line numbers stay).
std::string without_comments(const std::string& text) {
  std::string out;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] != '#') out.append(line);
    if (end == text.size()) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

// The shortest text that reads back as exactly `v`.
std::string exact(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

AcceptedSet read_accepted_set(const std::string& path, const std::string& key) {
  const std::string text = without_comments(csv::read_file(path, "accepted set", key));
  std::vector<csv::Record> records = csv::parse(path, text, key);
  if (records.empty())
    throw InputError(SourcePos{path, 1, 1}, key, "empty accepted set: expected a header draw,distance,KEY... and rows");
  const csv::Table table(path, std::move(records), key, key + ":");
  table.require({"draw", "distance"}, "draw, distance and the parameters' keys");
  AcceptedSet set;
  set.file = path;
  for (const auto& cell : table.header().cells) {
    if (cell.text == "draw" || cell.text == "distance") continue;
    set.keys.push_back(cell.text);
    set.key_pos.push_back(SourcePos{path, cell.line, cell.column});
  }
  if (set.keys.empty())
    throw InputError(SourcePos{path, table.header().line, 1}, key, "the accepted set names no parameter (columns after draw, distance)");
  if (table.rows() == 0)
    throw InputError(SourcePos{path, table.header().line, 1}, key, "the accepted set has no rows: no draw was accepted");
  const double big = 1e300;
  for (size_t r = 0; r < table.rows(); ++r) {
    const csv::Row row(table, r, key);
    set.draws.push_back(static_cast<int>(row.number("draw", 0, 1e9)));
    set.distances.push_back(row.number("distance", 0, big));
    std::vector<double> values;
    for (const auto& k : set.keys) values.push_back(row.number(k, -big, big));
    set.rows.push_back(std::move(values));
  }
  return set;
}

std::string accepted_set_csv(const std::vector<std::string>& comments, const AcceptedSet& set) {
  std::string out;
  for (const auto& c : comments) {
    out += "# ";
    out += c;
    out += '\n';
  }
  out += "draw,distance";
  for (const auto& k : set.keys) out += "," + k;
  out += "\n";
  for (size_t r = 0; r < set.rows.size(); ++r) {
    out += std::to_string(set.draws[r]) + "," + exact(set.distances[r]);
    for (double v : set.rows[r]) out += "," + exact(v);
    out += "\n";
  }
  return out;
}

}  // namespace commsim

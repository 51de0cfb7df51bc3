// The one CSV reader (issue 22) of every input table — the census and districts tables
// (population/census.cpp), the households file (population/population.cpp) and the communities
// file (scenario/load.cpp): RFC 4180 records (quoted fields with "" for a quote and line breaks
// inside quotes), LF or CRLF line ends, a UTF-8 byte-order mark ignored, blank lines skipped,
// cells trimmed of spaces and tabs outside quotes. Every problem is an InputError at file:line:
// column, with the column's name in the key where a cell is at fault.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/core/error.hpp"

namespace commsim::csv {

struct Cell {
  std::string text;
  int line = 0, column = 0;  // where the cell starts; column counts UTF-8 code points from 1
  bool quoted = false;
};
struct Record {
  int line = 0;
  std::vector<Cell> cells;
};

// The records of `text` (read from `path`, for the errors). An unclosed quote is an InputError
// at the quoted cell, with `key`.
std::vector<Record> parse(const std::string& path, std::string text, const std::string& key = "");

// The file's text; a file that cannot be opened is an InputError ("cannot open the <what>") at
// the file, with `key`.
std::string read_file(const std::string& path, const std::string& what, const std::string& key = "");

// A table: its first record is the header (column names, each once), every other record a row
// with as many cells (checked as each Row is made, so errors come in the file's order). `key_prefix` comes before a column name in the key of a cell's error
// ("households_file." + "age"); structural errors (widths, duplicate names) use `key`.
class Table {
 public:
  Table(std::string path, std::vector<Record> records, std::string key = "", std::string key_prefix = "");
  // Reads and parses the file; an empty file is an InputError asking for `expected_header`.
  static Table read(const std::string& path, const std::string& what, const std::string& expected_header,
                    const std::string& key = "", const std::string& key_prefix = "");

  const std::string& path() const { return path_; }
  const Record& header() const { return records_.front(); }
  size_t rows() const { return records_.size() - 1; }
  const Record& row(size_t i) const { return records_[i + 1]; }
  bool has(std::string_view column) const { return index_.find(column) != index_.end(); }
  size_t column(std::string_view name) const { return index_.find(name)->second; }
  // The header must name each of `columns`: otherwise an InputError at the header ("missing column").
  void require(const std::vector<std::string>& columns, const std::string& required_list) const;
  std::string key_for(std::string_view column) const { return key_prefix_ + std::string(column); }
  // A row with as many cells as the header has columns: otherwise an InputError at the row (with
  // `key`, or the table's key when empty).
  void check_width(size_t row, const std::string& key = "") const;

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string path_, key_, key_prefix_;
  std::vector<Record> records_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> index_;
};

// One row of a table, its cells by column name.
class Row {
 public:
  Row(const Table& table, size_t row, const std::string& key = "") : table_(table), record_(table.row(row)) {
    table.check_width(row, key);
  }
  int line() const { return record_.line; }
  bool has(std::string_view column) const { return table_.has(column); }
  const Cell& cell(std::string_view column) const { return record_.cells[table_.column(column)]; }
  const std::string& text(std::string_view column) const { return cell(column).text; }
  SourcePos pos(std::string_view column) const;
  [[noreturn]] void fail(std::string_view column, const std::string& message) const;
  // A number in [lo, hi]: otherwise an InputError at the cell ("'x' is not a number in [lo, hi]").
  double number(std::string_view column, double lo, double hi) const;

 private:
  const Table& table_;
  const Record& record_;
};

}  // namespace commsim::csv

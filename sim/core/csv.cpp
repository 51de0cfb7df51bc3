// The one CSV reader (csv.hpp).
#include "sim/core/csv.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace commsim::csv {

namespace {

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The state of the parser: the record and cell being read, and where it is.
struct Parser {
  std::vector<Record> records;
  int line = 1, column = 1;
  Record record{1, {}};
  Cell cell{"", 1, 1, false};
  bool quoted = false;

  void finish_cell() {
    if (!cell.quoted) {  // trim unquoted cells (in place: most cells have nothing to trim)
      const size_t last = cell.text.find_last_not_of(" \t");
      if (last == std::string::npos) {
        cell.text.clear();
      } else {
        cell.text.erase(last + 1);
        cell.text.erase(0, cell.text.find_first_not_of(" \t"));
      }
    }
    record.cells.push_back(std::move(cell));
  }
  void finish_record() {
    finish_cell();
    const bool blank = record.cells.size() == 1 && record.cells[0].text.empty() && !record.cells[0].quoted;
    const size_t width = record.cells.size();
    if (!blank) records.push_back(std::move(record));
    record = Record{line, {}};
    record.cells.reserve(width);
  }
  // Inside quotes: "" is a quote, " closes; line breaks are part of the cell.
  void quoted_char(const std::string& text, size_t& i) {
    const char c = text[i];
    if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') { cell.text += '"'; ++i; ++column; }
    else if (c == '"') quoted = false;
    else cell.text += c;
    if (c == '\n') { ++line; column = 1; }
    else if (!continuation_byte(c)) ++column;
  }
  // A run of ordinary characters, appended at once.
  void plain_run(const std::string& text, size_t& i) {
    size_t end = i;
    while (end < text.size() && text[end] != ',' && text[end] != '\n' && text[end] != '\r' && text[end] != '"') {
      if (!continuation_byte(text[end])) ++column;
      ++end;
    }
    cell.text.append(text, i, end - i);
    i = end - 1;
  }
};

}  // namespace

std::vector<Record> parse(const std::string& path, std::string text, const std::string& key) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  Parser p;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (p.quoted) {
      p.quoted_char(text, i);
    } else if (c == '"') {
      p.quoted = p.cell.quoted = true;
      p.cell.text.clear();  // spaces before the opening quote are not part of the value
      ++p.column;
    } else if (c == ',') {
      p.finish_cell();
      ++p.column;
      p.cell = Cell{"", p.line, p.column, false};
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++p.line;
      p.column = 1;
      p.finish_record();
      p.cell = Cell{"", p.line, 1, false};
    } else {
      p.plain_run(text, i);
    }
  }
  if (p.quoted)
    throw InputError(SourcePos{path, p.cell.line, p.cell.column}, key, "unclosed quote: the file ends inside a quoted cell");
  p.finish_record();
  return std::move(p.records);
}

std::string read_file(const std::string& path, const std::string& what, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourcePos{path, 0, 0}, key, "cannot open the " + what);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Table::Table(std::string path, std::vector<Record> records, std::string key, std::string key_prefix)
    : path_(std::move(path)), key_(std::move(key)), key_prefix_(std::move(key_prefix)), records_(std::move(records)) {
  if (records_.empty()) throw InputError(SourcePos{path_, 1, 1}, key_, "empty file: expected a header row");
  for (size_t i = 0; i < header().cells.size(); ++i) {
    const Cell& c = header().cells[i];
    if (!index_.emplace(c.text, i).second)
      throw InputError(SourcePos{path_, c.line, c.column}, key_.empty() ? c.text : key_,
                       "column '" + c.text + "' appears twice");
  }
}

void Table::check_width(size_t row, const std::string& key) const {
  const Record& r = records_[row + 1];
  if (r.cells.size() != header().cells.size())
    throw InputError(SourcePos{path_, r.line, 1}, key.empty() ? key_ : key,
                     "row has " + std::to_string(r.cells.size()) + " cells but the header has " +
                         std::to_string(header().cells.size()) + " columns");
}

Table Table::read(const std::string& path, const std::string& what, const std::string& expected_header,
                  const std::string& key, const std::string& key_prefix) {
  std::vector<Record> records = parse(path, read_file(path, what, key), key);
  if (records.empty())
    throw InputError(SourcePos{path, 1, 1}, key, "empty file: expected a header row (" + expected_header + ") and rows");
  return Table(path, std::move(records), key, key_prefix);
}

void Table::require(const std::vector<std::string>& columns, const std::string& required_list) const {
  for (const auto& column : columns)
    if (!has(column))
      throw InputError(SourcePos{path_, header().line, 1}, key_.empty() ? column : key_,
                       "missing column '" + column + "'; required: " + required_list);
}

SourcePos Row::pos(std::string_view column) const {
  const Cell& c = cell(column);
  return SourcePos{table_.path(), c.line, c.column};
}

void Row::fail(std::string_view column, const std::string& message) const {
  throw InputError(pos(column), table_.key_for(column), message);
}

double Row::number(std::string_view column, double lo, double hi) const {
  const std::string& t = text(column);
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || v < lo || v > hi) {
    std::ostringstream msg;
    msg << "column '" << column << "': '" << t << "' is not a number in [" << lo << ", " << hi << "]";
    fail(column, msg.str());
  }
  return v;
}

}  // namespace commsim::csv

// The documentation of every output table (table.hpp: document_table), read once from
// sim/metrics/output_fields.csv, embedded at build time: one row per table (field empty: the
// table's description) and one per field, in the table's order.
#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "commsim/output_fields.hpp"
#include "sim/core/csv.hpp"
#include "sim/metrics/table.hpp"

namespace commsim {

namespace {

constexpr const char* kPath = "sim/metrics/output_fields.csv";

struct FieldDoc {
  std::string name, unit, json, json_key, axis, description, offset_description;
};
struct TableDoc {
  std::string description;
  std::vector<FieldDoc> fields;
};

JsonMode json_mode(const std::string& text, const std::string& where) {
  if (text.empty()) return JsonMode::none;
  if (text == "mean") return JsonMode::mean;
  if (text == "mean_ci") return JsonMode::mean_ci;
  if (text == "first") return JsonMode::first;
  throw std::logic_error(where + ": json is '" + text + "' (allowed: empty, mean, mean_ci, first)");
}

const std::map<std::string, TableDoc>& table_docs() {
  static const std::map<std::string, TableDoc> docs = [] {
    std::map<std::string, TableDoc> out;
    const csv::Table table(kPath, csv::parse(kPath, output_files::kOutputFieldsCsv));
    table.require({"table", "field", "unit", "json", "json_key", "axis", "description", "offset_description"},
                  "table,field,unit,json,json_key,axis,description,offset_description");
    for (size_t i = 0; i < table.rows(); ++i) {
      const csv::Row row(table, i);
      TableDoc& doc = out[row.text("table")];
      if (row.text("field").empty()) {
        doc.description = row.text("description");
        continue;
      }
      doc.fields.push_back({row.text("field"), row.text("unit"), row.text("json"), row.text("json_key"),
                            row.text("axis"), row.text("description"), row.text("offset_description")});
    }
    return out;
  }();
  return docs;
}

}  // namespace

void document_table(const std::string& id, std::string& description, const std::vector<FieldInfo*>& fields) {
  const auto it = table_docs().find(id);
  if (it == table_docs().end()) throw std::logic_error(std::string(kPath) + " has no table '" + id + "'");
  const TableDoc& doc = it->second;
  description = doc.description;
  for (size_t i = 0; i < std::max(fields.size(), doc.fields.size()); ++i) {
    const std::string code = i < fields.size() ? fields[i]->name : "(none)";
    const std::string row = i < doc.fields.size() ? doc.fields[i].name : "(none)";
    if (code != row)
      throw std::logic_error(std::string(kPath) + ": table '" + id + "' field " + std::to_string(i + 1) + " is '" +
                             row + "' in the file and '" + code + "' in the code");
    FieldInfo& f = *fields[i];
    const FieldDoc& d = doc.fields[i];
    f.unit = d.unit;
    f.description = d.description;
    f.json = json_mode(d.json, std::string(kPath) + ": " + id + "." + d.name);
    f.json_key = d.json_key;
    f.axis = d.axis;
    f.offset_description = d.offset_description;
  }
}

}  // namespace commsim

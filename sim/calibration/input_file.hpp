// Reading the calibration module's input files (a registry, a targets file): whole, with the
// command-line option that named the file in the error when it cannot be read, and as a YAML map
// through a schema.
#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/core/error.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim::calibration_detail {

// The text of `path`; InputError (key `option`) saying `what` cannot be read.
inline std::string read_input_file(const std::string& path, const std::string& option, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || !std::filesystem::is_regular_file(path, ec))
    throw InputError(SourcePos{path, 0, 0}, option, "cannot read the " + what + " file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The folder a file's relative paths are resolved against ("." for a bare name).
inline std::string directory_of(const std::string& file) {
  const std::filesystem::path parent = std::filesystem::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// The YAML map in `text` (from `file`), read through `schema` into `parsed`; InputError
// `not_a_map` at the document when it is not a map.
template <class File>
scenario_detail::Node read_input_map(const std::string& text, const std::string& file,
                                     const scenario_detail::Schema<File>& schema, File& parsed,
                                     const std::string& not_a_map) {
  scenario_detail::Node root = scenario_detail::parse_yaml(text, file, directory_of(file));
  if (!root.is_map()) throw InputError(root.pos, "", not_a_map);
  schema.read(parsed, root, "");
  return root;
}

}  // namespace commsim::calibration_detail

// JSON documents of the study commands (study, curve, run --uncertainty, sensitivity, params):
// built as nlohmann-json values (keys in insertion order), written with one function.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace commsim {

using OrderedJson = nlohmann::ordered_json;

// A figure: rounded to 10 significant digits (what the documents have always held), null when
// not finite.
OrderedJson json_figure(double v);

// [lo, hi] as two figures.
OrderedJson json_interval(double lo, double hi);

// The document's text: indented by two spaces, ending in a newline; invalid UTF-8 replaced.
std::string json_text(const OrderedJson& document);

}  // namespace commsim

// The one JSON writer: every JSON document commsim writes is built as a nlohmann-json value
// (ordered_json: keys in insertion order) and turned into text by json_text.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace commsim {

using Json = nlohmann::ordered_json;

// A double as JSON: the number, or null when it is not finite.
Json json_value(double v);

// A figure of a study document: rounded to 10 significant digits (what those documents have
// always held), null when not finite.
Json json_figure(double v);

// [lo, hi] as two figures.
Json json_interval(double lo, double hi);

// JSON as text: `indent` spaces a level (-1: one line), invalid UTF-8 replaced, a newline at the end.
std::string json_text(const Json& j, int indent = 2);

}  // namespace commsim

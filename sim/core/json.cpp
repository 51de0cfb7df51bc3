// The one JSON writer (json.hpp).
#include "sim/core/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace commsim {

Json json_value(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

Json json_figure(double v) {
  if (!std::isfinite(v)) return nullptr;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return std::strtod(buf, nullptr);
}

Json json_interval(double lo, double hi) { return Json::array({json_figure(lo), json_figure(hi)}); }

std::string json_text(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace commsim

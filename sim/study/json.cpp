// JSON documents of the study commands (json.hpp).
#include "sim/study/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace commsim {

OrderedJson json_figure(double v) {
  if (!std::isfinite(v)) return nullptr;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return std::strtod(buf, nullptr);
}

OrderedJson json_interval(double lo, double hi) { return OrderedJson::array({json_figure(lo), json_figure(hi)}); }

std::string json_text(const OrderedJson& document) {
  return document.dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
}

}  // namespace commsim

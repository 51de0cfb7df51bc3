// Study files: parsing (with the scenario loader's position-keeping YAML tree, so every error points
// into the study file), design expansion (grid, variants, Latin hypercube) and validation of every
// variant against the scenario schema.
#include "sim/study/study.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "commsim/version.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/schema.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim {

namespace fs = std::filesystem;
using scenario_detail::Node;

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string value_text(const Node& node) {
  if (node.is_scalar()) {
    if (!node.quoted) return node.text;
    std::string out = "\"";
    for (char c : node.text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  return scenario_detail::to_flow_text(node);
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

double number_of(const Node& node, const std::string& key, const char* what) {
  double v = 0;
  if (!node.is_scalar() || !parse_number(node.text, v)) throw InputError(node.pos, key, std::string("expected ") + what);
  return v;
}

bool integral(double v) { return std::fabs(v) < 1e15 && v == std::floor(v); }

// Shortest readable text for a computed value (ranges, LHS samples): 12 significant digits, so
// 0.1 + 2 * 0.1 prints as 0.3.
std::string number_text(double v, bool as_integer) {
  char buf[64];
  if (as_integer || integral(v)) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(v)));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return scenario_detail::format_number(std::strtod(buf, nullptr));
}

std::string directory_of(const std::string& file) {
  fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void refuse_unknown(const Node& map, const std::vector<std::string>& allowed, const std::string& where) {
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const std::string& key = map.entries[i].first;
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    const std::string near = scenario_detail::closest(key, allowed);
    throw InputError(map.key_pos[i], where.empty() ? key : where + "." + key,
                     "unknown key" + (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; allowed: " + list);
  }
}

// "a.b.c" -> "c" when the last segments are unique among `keys`, else the full path.
std::string short_name(const std::string& key, const std::vector<std::string>& keys) {
  auto last = [](const std::string& k) {
    const size_t dot = k.rfind('.');
    return dot == std::string::npos ? k : k.substr(dot + 1);
  };
  int same = 0;
  for (const auto& k : keys) same += last(k) == last(key);
  return same > 1 ? key : last(key);
}

StudyAxis read_axis(const std::string& key, const SourcePos& key_pos, const Node& node, const std::string& design) {
  StudyAxis axis;
  axis.key = key;
  axis.pos = key_pos;
  const std::string where = "axes." + key;
  if (node.is_list()) {
    if (design == "lhs") throw InputError(node.pos, where, "a Latin hypercube axis is an interval {from, to}, not a list");
    if (node.items.empty()) throw InputError(node.pos, where, "an axis needs at least one value");
    for (const auto& item : node.items) axis.values.push_back(value_text(item));
    return axis;
  }
  if (!node.is_map())
    throw InputError(node.pos, where, "expected a list of values, or a range {from, to, step} (lhs: {from, to})");
  refuse_unknown(node, design == "lhs" ? std::vector<std::string>{"from", "to", "integer"}
                                       : std::vector<std::string>{"from", "to", "step"}, where);
  const Node* from = node.find("from");
  const Node* to = node.find("to");
  if (!from || !to) throw InputError(node.pos, where, design == "lhs" ? "expected {from, to}" : "expected {from, to, step}");
  axis.from = number_of(*from, where + ".from", "a number");
  axis.to = number_of(*to, where + ".to", "a number");
  if (design == "lhs") {
    if (!(axis.to > axis.from)) throw InputError(to->pos, where + ".to", "must be greater than 'from'");
    if (const Node* integer = node.find("integer")) {
      if (!integer->is_scalar() || (integer->text != "true" && integer->text != "false"))
        throw InputError(integer->pos, where + ".integer", "expected true or false");
      axis.integer = integer->text == "true";
    }
    return axis;
  }
  const Node* step = node.find("step");
  if (!step) throw InputError(node.pos, where, "a range needs a step: {from, to, step}");
  const double s = number_of(*step, where + ".step", "a number");
  if (!(s > 0)) throw InputError(step->pos, where + ".step", "must be greater than 0");
  if (axis.to < axis.from) throw InputError(to->pos, where + ".to", "must not be less than 'from'");
  const double count = std::floor((axis.to - axis.from) / s + 1e-9) + 1;
  if (count > 100000) throw InputError(step->pos, where + ".step", "the range has more than 100,000 values");
  const bool ints = integral(axis.from) && integral(s);
  for (int i = 0; i < static_cast<int>(count); ++i) axis.values.push_back(number_text(axis.from + i * s, ints));
  return axis;
}

}  // namespace

std::vector<std::string> StudyVariant::overrides() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : values) out.push_back(key + "=" + value);
  return out;
}

const std::vector<std::string>& study_metric_names() {
  static const std::vector<std::string> names = {
      "coverage", "mean_wait_min", "coverage_resident_weighted", "p50_wait_min", "p90_wait_min", "max_wait_min",
      "p_wait", "share_communities_below_target", "gini", "worst_decile_coverage"};
  return names;
}

std::string hash_hex(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

uint64_t independent_seed(uint64_t base_seed, int variant) {
  uint64_t state = 0x5EEDull + static_cast<uint64_t>(variant);
  // Kept below 2^53 so the seed survives any round trip through a double.
  return (base_seed + splitmix64(state)) & ((uint64_t(1) << 53) - 1);
}

Study parse_study(const std::string& path, const std::vector<std::string>& cli_overrides) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || !fs::is_regular_file(path, ec)) throw InputError(SourcePos{path, 0, 0}, "", "cannot read study file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_study_text(buffer.str(), path, cli_overrides);
}

Study parse_study_text(const std::string& text, const std::string& path, const std::vector<std::string>& cli_overrides) {
  Study st;
  st.file = path;
  st.text = text;
  const std::string dir = directory_of(path);
  const Node root = scenario_detail::parse_yaml(text, path, dir);
  if (!root.is_map()) throw InputError(root.pos, "", "a study must be a map (base, set, axes, design, replicates, ...)");
  refuse_unknown(root, {"name", "base", "set", "axes", "design", "variants", "replicates", "metrics", "samples", "seed"}, "");

  st.name = fs::path(path).stem().string();
  if (const Node* name = root.find("name")) {
    if (!name->is_scalar()) throw InputError(name->pos, "name", "expected a name");
    st.name = name->text;
  }
  const Node* base = root.find("base");
  if (!base || !base->is_scalar() || base->text.empty())
    throw InputError(base ? base->pos : root.pos, "base", "expected the path of the base scenario (relative to the study file)");
  st.base_file = (fs::path(dir) / base->text).lexically_normal().string();
  std::error_code ec;
  if (!fs::is_regular_file(st.base_file, ec))
    throw InputError(base->pos, "base", "cannot read base scenario '" + st.base_file + "'");

  if (const Node* set = root.find("set")) {
    if (set->is_list()) {
      for (const auto& item : set->items) {
        if (!item.is_scalar() || item.text.find('=') == std::string::npos)
          throw InputError(item.pos, "set", "expected key.path=value");
        st.base_overrides.push_back(item.text);
      }
    } else if (set->is_map()) {
      for (const auto& [key, value] : set->entries) st.base_overrides.push_back(key + "=" + value_text(value));
    } else if (!set->is_null()) {
      throw InputError(set->pos, "set", "expected a list of key.path=value (or a map key.path: value)");
    }
  }
  for (const auto& o : cli_overrides) st.base_overrides.push_back(o);

  if (const Node* reps = root.find("replicates")) {
    const double r = number_of(*reps, "replicates", "an integer in 1..100000");
    if (!integral(r) || r < 1 || r > 100000) throw InputError(reps->pos, "replicates", "expected an integer in 1..100000");
    st.replicates = static_cast<int>(r);
  }

  const Node* samples = root.find("samples");
  const Node* seed = root.find("seed");
  if (const Node* design = root.find("design")) {
    const Node* type = design;
    if (design->is_map()) {
      refuse_unknown(*design, {"type", "samples", "seed"}, "design");
      type = design->find("type");
      if (!type) throw InputError(design->pos, "design.type", "expected grid, variants or lhs");
      if (design->find("samples")) samples = design->find("samples");
      if (design->find("seed")) seed = design->find("seed");
    }
    if (!type->is_scalar() || (type->text != "grid" && type->text != "variants" && type->text != "lhs"))
      throw InputError(type->pos, "design", "expected grid (full factorial), variants (explicit list) or lhs (Latin hypercube)");
    st.design = type->text;
  } else if (root.find("variants") && !root.find("axes")) {
    st.design = "variants";
  }
  if (st.design == "lhs") {
    if (!samples) throw InputError(root.pos, "samples", "a Latin hypercube needs samples: N");
    const double n = number_of(*samples, "samples", "an integer in 1..100000");
    if (!integral(n) || n < 1 || n > 100000) throw InputError(samples->pos, "samples", "expected an integer in 1..100000");
    st.lhs_samples = static_cast<int>(n);
    if (seed) {
      const double s = number_of(*seed, "seed", "a non-negative integer");
      if (!integral(s) || s < 0) throw InputError(seed->pos, "seed", "expected a non-negative integer");
      st.lhs_seed = static_cast<uint64_t>(s);
    }
  } else if (samples || seed) {
    const Node* n = samples ? samples : seed;
    throw InputError(n->pos, samples ? "samples" : "seed", "only a Latin hypercube (design: lhs) takes samples and seed");
  }

  if (const Node* metrics = root.find("metrics")) {
    if (!metrics->is_list()) throw InputError(metrics->pos, "metrics", "expected a list of metric names");
    for (const auto& m : metrics->items) {
      const auto& names = study_metric_names();
      if (!m.is_scalar() || std::find(names.begin(), names.end(), m.text) == names.end()) {
        std::string list;
        for (const auto& a : names) list += (list.empty() ? "" : ", ") + a;
        throw InputError(m.pos, "metrics", "unknown metric '" + m.text + "'; allowed: " + list);
      }
      st.metrics.push_back(m.text);
    }
  }
  if (st.metrics.empty()) st.metrics = {"coverage", "mean_wait_min"};

  const Node* axes = root.find("axes");
  const Node* variants = root.find("variants");
  if (st.design == "variants") {
    if (axes) throw InputError(root.key_position("axes"), "axes", "design: variants lists its variants under variants:, not axes:");
    if (!variants || !variants->is_list() || variants->items.empty())
      throw InputError(variants ? variants->pos : root.pos, "variants", "expected a list of variants (maps of key.path: value, optional name)");
    for (size_t i = 0; i < variants->items.size(); ++i) {
      const Node& item = variants->items[i];
      if (!item.is_map()) throw InputError(item.pos, "variants", "expected a map of key.path: value (optional name:)");
      StudyVariant v;
      v.pos = item.pos;
      for (size_t e = 0; e < item.entries.size(); ++e) {
        const auto& [key, value] = item.entries[e];
        if (key == "name") {
          v.name = value.text;
          continue;
        }
        v.values.emplace_back(key, value_text(value));
        if (std::find(st.axis_keys.begin(), st.axis_keys.end(), key) == st.axis_keys.end()) {
          st.axis_keys.push_back(key);
          StudyAxis axis;
          axis.key = key;
          axis.pos = item.key_pos[e];
          st.axes.push_back(axis);
        }
      }
      if (v.name.empty()) {
        for (const auto& [key, value] : v.values)
          v.name += (v.name.empty() ? "" : ", ") + short_name(key, st.axis_keys) + "=" + value;
        if (v.name.empty()) v.name = "base";
      }
      st.variants.push_back(v);
    }
    // Every axis gets its per-variant values (the base's value when a variant does not set it: "").
    for (auto& axis : st.axes)
      for (const auto& v : st.variants) {
        std::string val;
        for (const auto& [key, value] : v.values)
          if (key == axis.key) val = value;
        axis.values.push_back(val);
      }
    return st;
  }

  if (variants) throw InputError(root.key_position("variants"), "variants", "variants: needs design: variants");
  if (!axes || !axes->is_map() || axes->entries.empty())
    throw InputError(axes ? axes->pos : root.pos, "axes", "expected a map of scenario key path -> values");
  for (size_t i = 0; i < axes->entries.size(); ++i) {
    st.axes.push_back(read_axis(axes->entries[i].first, axes->key_pos[i], axes->entries[i].second, st.design));
    st.axis_keys.push_back(axes->entries[i].first);
  }

  if (st.design == "grid") {
    // Full factorial; the first axis varies slowest (nested loops in the order written).
    size_t total = 1;
    for (const auto& a : st.axes) {
      total *= a.values.size();
      if (total > 1000000) throw InputError(axes->pos, "axes", "the grid has more than 1,000,000 variants");
    }
    for (size_t index = 0; index < total; ++index) {
      StudyVariant v;
      v.pos = axes->pos;
      size_t rest = index;
      std::vector<size_t> digits(st.axes.size());
      for (size_t a = st.axes.size(); a-- > 0;) {
        digits[a] = rest % st.axes[a].values.size();
        rest /= st.axes[a].values.size();
      }
      for (size_t a = 0; a < st.axes.size(); ++a) {
        const std::string& value = st.axes[a].values[digits[a]];
        v.values.emplace_back(st.axes[a].key, value);
        v.name += (a ? ", " : "") + short_name(st.axes[a].key, st.axis_keys) + "=" + value;
      }
      st.variants.push_back(v);
    }
  } else {  // lhs: each axis cut into `samples` equal strata, one sample per stratum, strata shuffled per axis
    const int n = st.lhs_samples;
    std::vector<std::vector<std::string>> columns;
    for (size_t a = 0; a < st.axes.size(); ++a) {
      uint64_t state = st.lhs_seed * 0x9E3779B97F4A7C15ull + a;
      std::vector<int> perm(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
      for (int i = n - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[splitmix64(state) % static_cast<uint64_t>(i + 1)]);
      std::vector<std::string> column;
      StudyAxis& axis = st.axes[a];
      for (int i = 0; i < n; ++i) {
        const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
        double x = axis.from + (axis.to - axis.from) * (perm[static_cast<size_t>(i)] + u) / n;
        column.push_back(number_text(x, axis.integer));
      }
      axis.values = column;
      columns.push_back(column);
    }
    for (int i = 0; i < n; ++i) {
      StudyVariant v;
      v.pos = axes->pos;
      for (size_t a = 0; a < st.axes.size(); ++a) {
        v.values.emplace_back(st.axes[a].key, columns[a][static_cast<size_t>(i)]);
        v.name += (a ? ", " : "") + short_name(st.axes[a].key, st.axis_keys) + "=" + columns[a][static_cast<size_t>(i)];
      }
      st.variants.push_back(v);
    }
  }
  return st;
}

StudyPlan plan_study(const std::string& path, const std::vector<std::string>& cli_overrides, bool independent_streams) {
  StudyPlan plan;
  plan.study = parse_study(path, cli_overrides);
  plan.independent_streams = independent_streams;
  const Study& st = plan.study;
  plan.base = load_scenario(st.base_file, st.base_overrides);

  // Each axis key alone first: an unknown key or a bad value is reported at the axis in the study file.
  for (const auto& axis : st.axes) {
    std::string first;
    for (const auto& v : st.variants)
      for (const auto& [key, value] : v.values)
        if (key == axis.key && first.empty()) first = value;
    std::vector<std::string> overrides = st.base_overrides;
    overrides.push_back(axis.key + "=" + first);
    try {
      (void)load_scenario(st.base_file, overrides);
    } catch (const InputError& e) {
      throw InputError(axis.pos, axis.key, std::string("not a valid scenario key path or value (") + e.what() + ")");
    }
  }
  int base_found = -1;
  for (size_t v = 0; v < st.variants.size(); ++v) {
    const StudyVariant& variant = st.variants[v];
    std::vector<std::string> overrides = st.base_overrides;
    for (const auto& o : variant.overrides()) overrides.push_back(o);
    auto load = [&](const std::vector<std::string>& o) {
      try {
        return load_scenario(st.base_file, o);
      } catch (const InputError& e) {
        throw InputError(variant.pos, e.key(), "variant " + std::to_string(v) + " (" + variant.name + "): " + std::string(e.what()));
      }
    };
    Scenario sc = load(overrides);
    if (base_found < 0 && sc.resolved_yaml == plan.base.resolved_yaml) base_found = static_cast<int>(v);
    if (independent_streams) {
      overrides.push_back("run.seed=" + std::to_string(independent_seed(plan.base.run.seed, static_cast<int>(v))));
      sc = load(overrides);
    }
    plan.scenarios.push_back(std::move(sc));
  }
  plan.base_variant = base_found < 0 ? 0 : base_found;
  std::string key = st.text + "\n--base--\n" + plan.base.resolved_yaml + "\n--set--\n";
  for (const auto& o : st.base_overrides) key += o + "\n";
  key += independent_streams ? "independent\n" : "paired\n";
  key += std::string(kVersion) + " " + kGitCommit;
  plan.hash = hash_hex(key);
  return plan;
}

}  // namespace commsim

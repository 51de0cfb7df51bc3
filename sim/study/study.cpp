// Study files: the study file's schema (read with the scenario schema machinery and the scenario
// loader's position-keeping YAML tree, so every error points into the study file), design expansion
// (grid, variants, Latin hypercube, Morris trajectories, Saltelli's scheme), validation of every variant against the scenario schema, and
// the generated docs/study-reference.md.
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
#include "sim/calibration/registry.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"
#include "sim/scenario/yaml_quote.hpp"

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
    return node.quoted ? scenario_detail::yaml_quote(node.text) : node.text;
  }
  return scenario_detail::to_flow_text(node);
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

// ------------------------------------------------------------------ the study file's schema
// Read through the scenario schema machinery (schema_machinery.hpp), so unknown keys, wrong types
// and ranges are reported like scenario keys. Design-specific keys: add a field to design_schema()
// (or axis_range_schema() for a per-axis key), its check to check_design(), and an expansion in
// parse_study_text.
using scenario_detail::DocRow;
using scenario_detail::Field;
using scenario_detail::Path;
using scenario_detail::Schema;
using scenario_detail::fail;
using scenario_detail::join;

const std::vector<std::string> kDesigns = {"grid", "variants", "lhs", "morris", "sobol"};

struct DesignSpec {
  std::string type = "grid";
  int samples = 0;       // lhs; sobol: base samples N
  uint64_t seed = 1;     // lhs, morris, sobol
  int trajectories = 0;  // morris: r
  int levels = 4;        // morris: p
  int candidates = 0;    // morris: Campolongo's selection from this many (0 = none)
  int bootstrap = 1000;  // morris, sobol: bootstrap resamples of the intervals
};

// {from, to, step} (grid), {from, to, integer} (lhs) or {low, high, log, integer} (morris, sobol).
struct AxisRange {
  double from = 0, to = 0, step = 0;
  double low = 0, high = 0;
  bool integer = false, log = false;
  std::string narrowed;  // morris, sobol: why low..high is narrower than the registry's range
};

struct AxisSpec {  // one entry of axes: as written
  std::string key;
  SourcePos key_pos;
  Node value;                        // the list or range map (positions for the design checks)
  std::vector<std::string> values;   // a list: its values as YAML text
  AxisRange range;                   // a map
};

struct VariantSpec {  // one item of variants: as written
  StudyVariant variant;             // name "" when not given
  std::vector<SourcePos> value_pos; // of each key in variant.values
};

struct StudyFile {
  std::string name, base;
  std::vector<std::string> set;
  std::vector<AxisSpec> axes;
  SourcePos axes_pos;
  DesignSpec design;
  std::vector<VariantSpec> variants;
  int replicates = 1;
  std::vector<std::string> metrics = {"coverage", "mean_wait_min"};
  std::vector<std::string> outcomes;  // morris, sobol ([] = the headline outcomes)
  double confidence = 0.95;
  int samples = 0;    // shorthand for design.samples
  uint64_t seed = 1;  // shorthand for design.seed
};

constexpr double kMaxSeed = 18446744073709551615.0;  // as run.seed

// A field shown as "(required)" in the docs instead of its struct default.
template <class S>
Field<S> required(Field<S> f, std::string when = "required") {
  f.default_doc = "(" + when + ")";
  return f;
}

const Schema<DesignSpec>& design_schema() {
  static const Schema<DesignSpec> s{{
      scenario_detail::choice("type", &DesignSpec::type, kDesigns,
                              "grid (full factorial), variants (explicit list) or lhs (Latin hypercube)"),
      required(scenario_detail::num("samples", &DesignSpec::samples, scenario_detail::between(1, 100000), "variants",
                                    "lhs: number of samples (variants); sobol: base samples N, a power of two "
                                    "(N (k + 2) design points)"), "required for lhs, sobol"),
      scenario_detail::num("seed", &DesignSpec::seed, scenario_detail::between(0, kMaxSeed), "",
                           "lhs, morris, sobol: seed of the design and of the bootstrap (not of the runs)"),
      required(scenario_detail::num("trajectories", &DesignSpec::trajectories, scenario_detail::between(2, 1000000), "",
                                    "morris: trajectories r (r (k + 1) design points)"), "required for morris"),
      scenario_detail::num("levels", &DesignSpec::levels, scenario_detail::between(2, 1000), "",
                           "morris: grid levels p, even"),
      scenario_detail::num("candidates", &DesignSpec::candidates, scenario_detail::between(0, 1000), "",
                           "morris: the r most spread-out of this many candidate trajectories (Campolongo 2007; "
                           "0 = none)"),
      scenario_detail::num("bootstrap", &DesignSpec::bootstrap, scenario_detail::between(100, 1000000), "",
                           "morris, sobol: bootstrap resamples of the confidence intervals"),
  }, {}};
  return s;
}

const Schema<AxisRange>& axis_range_schema() {
  static const Schema<AxisRange> s{{
      required(scenario_detail::num("from", &AxisRange::from, scenario_detail::Range{}, "",
                                    "first value (grid) / interval start (lhs)"), "required for grid, lhs"),
      required(scenario_detail::num("to", &AxisRange::to, scenario_detail::Range{}, "",
                                    "last value, included when on a step (grid) / interval end (lhs)"), "required for grid, lhs"),
      required(scenario_detail::num("step", &AxisRange::step, scenario_detail::positive(), "", "grid: step between values"),
               "required for grid"),
      required(scenario_detail::num("low", &AxisRange::low, scenario_detail::Range{}, "",
                                    "morris, sobol: the parameter's lowest value"), "default: the registry's"),
      required(scenario_detail::num("high", &AxisRange::high, scenario_detail::Range{}, "",
                                    "morris, sobol: the parameter's highest value (> low)"), "default: the registry's"),
      scenario_detail::text("narrowed", &AxisRange::narrowed, "text",
                            "morris, sobol: why low..high is narrower than the registry's range (reported with the indices)"),
      scenario_detail::flag("log", &AxisRange::log, "morris, sobol: sample uniformly in log (low > 0)"),
      scenario_detail::flag("integer", &AxisRange::integer, "lhs, morris, sobol: round samples to integers"),
  }, {}};
  return s;
}

Node text_of(const std::vector<std::string>& items) {
  Node out = Node::list();
  for (const auto& i : items) out.items.push_back(Node::scalar(i));
  return out;
}

Field<StudyFile> base_field() {
  auto f = scenario_detail::make<StudyFile>("base", "path", "", "a scenario file, relative to the study file",
                                            "the base scenario every variant changes");
  f.default_doc = "(required)";
  f.read = [](StudyFile& st, const Node& n, const Path& p) {
    const std::string text = scenario_detail::read_string(n, p);
    if (text.empty()) fail(n, p, "expected the path of the base scenario (relative to the study file)");
    st.base = (fs::path(n.dir.empty() ? "." : n.dir) / text).lexically_normal().string();
    std::error_code ec;
    if (!fs::is_regular_file(st.base, ec)) fail(n, p, "cannot read base scenario '" + st.base + "'");
  };
  return f;
}

Field<StudyFile> set_field() {
  auto f = scenario_detail::make<StudyFile>("set", "list of key.path=value, or map key.path: value", "",
                                            "scenario keys (as for --set)", "overrides of the base scenario, in order");
  f.read = [](StudyFile& st, const Node& n, const Path& p) {
    st.set.clear();
    if (n.is_list()) {
      for (size_t i = 0; i < n.items.size(); ++i) {
        const Node& item = n.items[i];
        if (!item.is_scalar() || item.text.find('=') == std::string::npos)
          fail(item, join(p, std::to_string(i)), "expected key.path=value, got " + scenario_detail::describe(item));
        st.set.push_back(item.text);
      }
    } else if (n.is_map()) {
      for (const auto& [key, value] : n.entries) st.set.push_back(key + "=" + value_text(value));
    } else if (!n.is_null()) {
      fail(n, p, "expected a list of key.path=value (or a map key.path: value), got " + scenario_detail::describe(n));
    }
  };
  f.write = [](const StudyFile& st) -> std::optional<Node> { return text_of(st.set); };
  return f;
}

Field<StudyFile> axes_field() {
  auto f = scenario_detail::make<StudyFile>("axes", "map key path -> list or range", "",
                                            "scenario key paths (as for --set); not with design: variants",
                                            "the keys varied and their values");
  f.read = [](StudyFile& st, const Node& n, const Path& p) {
    if (!n.is_map()) fail(n, p, "expected a map of scenario key path -> values, got " + scenario_detail::describe(n));
    st.axes.clear();
    st.axes_pos = n.pos;
    for (size_t i = 0; i < n.entries.size(); ++i) {
      const auto& [key, value] = n.entries[i];
      const Path where = join(p, key);
      AxisSpec axis;
      axis.key = key;
      axis.key_pos = n.key_pos[i];
      axis.value = value;
      if (value.is_list()) {
        if (value.items.empty()) fail(value, where, "an axis needs at least one value");
        for (const auto& item : value.items) axis.values.push_back(value_text(item));
      } else if (value.is_map()) {
        axis_range_schema().read(axis.range, value, where);
      } else {
        fail(value, where, "expected a list of values, or a range {from, to, step} (lhs: {from, to}; morris, sobol: "
                           "{low, high}, or {} for the parameter registry's range), got " + scenario_detail::describe(value));
      }
      st.axes.push_back(std::move(axis));
    }
  };
  f.nested_doc = [](std::vector<DocRow>& rows, const std::string& prefix) {
    rows.push_back(DocRow{prefix + ".<key>", "list, or map", "", "(none)",
                          "grid: a list of values or {from, to, step}; lhs: {from, to}; morris, sobol: {low, high}, or {} "
                          "(the parameter registry's range)",
                          "one axis (a parameter of morris, sobol): the values of one scenario key"});
    axis_range_schema().doc(rows, prefix + ".<key>.");
  };
  return f;
}

Field<StudyFile> design_field() {
  auto f = scenario_detail::make<StudyFile>("design", "choice, or map", "", scenario_detail::list_names(kDesigns) +
                                            "; or a map {type, samples, seed, ...}",
                                            "how the axes become variants; variants when only variants: is given");
  f.read = [](StudyFile& st, const Node& n, const Path& p) {
    if (n.is_map()) {
      if (!n.find("type")) fail(n, join(p, "type"), "expected type: " + scenario_detail::list_names(kDesigns));
      design_schema().read(st.design, n, p);
    } else {
      st.design.type = kDesigns[scenario_detail::read_choice(n, p, kDesigns)];
    }
  };
  f.write = [](const StudyFile& st) -> std::optional<Node> { return Node::scalar(st.design.type); };
  f.nested_doc = [](std::vector<DocRow>& rows, const std::string& prefix) { design_schema().doc(rows, prefix + "."); };
  f.default_doc = "grid";
  return f;
}

Field<StudyFile> variants_field() {
  auto f = scenario_detail::make<StudyFile>("variants", "list of maps", "", "design: variants only",
                                            "explicit variants: maps of scenario key path: value, optional name");
  f.read = [](StudyFile& st, const Node& n, const Path& p) {
    st.variants.clear();
    scenario_detail::expect_list(n, p, "a list of variants (maps of key.path: value, optional name)");
    if (n.items.empty()) fail(n, p, "expected a list of variants (maps of key.path: value, optional name)");
    for (size_t i = 0; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      const Path where = join(p, std::to_string(i));
      if (!item.is_map()) fail(item, where, "expected a map of key.path: value (optional name:), got " + scenario_detail::describe(item));
      VariantSpec v;
      v.variant.pos = item.pos;
      for (size_t e = 0; e < item.entries.size(); ++e) {
        const auto& [key, value] = item.entries[e];
        if (key == "name") {
          v.variant.name = scenario_detail::read_string(value, join(where, key));
        } else {
          v.variant.values.emplace_back(key, value_text(value));
          v.value_pos.push_back(item.key_pos[e]);
        }
      }
      st.variants.push_back(std::move(v));
    }
  };
  f.nested_doc = [](std::vector<DocRow>& rows, const std::string& prefix) {
    rows.push_back(DocRow{prefix + "[].name", "text", "", "(its keys and values)", "any text", "the variant's name"});
    rows.push_back(DocRow{prefix + "[].<key path>", "as the scenario key", "", "(the base's value)",
                          "scenario key paths (as for --set)", "a scenario key and its value in this variant"});
  };
  return f;
}

// The most design points (variants) a morris or sobol design may have: every one is a scenario
// loaded and validated before anything runs (as the grid's 1,000,000 variants).
constexpr long long kMaxSensitivityPoints = 1000000;

// Where a DesignProblem (sensitivity.hpp) of a morris or sobol design points in the study file.
[[noreturn]] void fail_design(const DesignProblem& problem, const Node& root, const Node* design, const Node* samples,
                              const std::string& samples_key) {
  if (problem.key == "parameters") {
    const Node& axes = *root.find("axes");
    fail(axes, "axes", problem.message + " (the parameters are the axes: key path: {low, high})");
  }
  if (problem.key == "samples") fail(*samples, samples_key, problem.message);
  if (problem.key == "confidence") {
    const Node* c = root.find("confidence");
    fail(c ? *c : root, "confidence", "a morris or sobol design's bootstrap intervals need a level in [0.5, 0.999]");
  }
  const Node* node = design && design->is_map() ? design->find(problem.key) : nullptr;
  fail(node ? *node : (design ? *design : root), "design." + problem.key, problem.message);
}

// A morris or sobol parameter: {low, high[, log, integer]}, a usable range.
void check_parameter(const AxisSpec& axis, const std::string& type) {
  const Path where = "axes." + axis.key;
  const Node& v = axis.value;
  const std::string form = "a " + type + " parameter is a range {low, high[, log, integer]}";
  if (v.is_list()) fail(v, where, form + ", not a list");
  for (const char* key : {"from", "to", "step"})
    if (v.find(key)) throw InputError(v.key_position(key), where + "." + key, form + ": no " + key);
  if (!v.find("low") && !v.find("high")) {  // the registry's range (apply_registry)
    if (v.find("log")) throw InputError(v.key_position("log"), where + ".log", "log: comes with low and high (the registry's range says its own)");
    if (v.find("narrowed")) throw InputError(v.key_position("narrowed"), where + ".narrowed", "narrowed: comes with the low and high it explains");
    return;
  }
  if (!v.find("low") || !v.find("high")) fail(v, where, "expected {low, high}, or neither (the parameter registry's range)");
  ParameterDistribution range;
  range.kind = axis.range.log ? ParameterDistribution::Kind::log_uniform : ParameterDistribution::Kind::uniform;
  range.low = axis.range.low;
  range.high = axis.range.high;
  if (const std::string problem = distribution_problem(range); !problem.empty()) {
    if (!(range.low < range.high)) fail(*v.find("high"), where + ".high", "must be greater than 'low'");
    fail(*v.find("low"), where + ".low", problem);
  }
}

// A morris or sobol design: its parameters (the axes) and its size.
void check_sensitivity_design(const StudyFile& st, const Node& root, const Node* design, const Node* samples,
                              const std::string& samples_key) {
  const bool morris = st.design.type == "morris";
  for (const AxisSpec& axis : st.axes) check_parameter(axis, st.design.type);
  const int k = static_cast<int>(st.axes.size());
  const DesignSpec& d = st.design;
  const std::optional<DesignProblem> problem =
      morris ? morris_design_problem(k, d.trajectories, d.levels, d.candidates) : sobol_design_problem(k, d.samples);
  if (problem) fail_design(*problem, root, design, samples, samples_key);
  if (const auto p = bootstrap_problem(d.bootstrap, st.confidence)) fail_design(*p, root, design, samples, samples_key);
  const long long points = morris ? static_cast<long long>(d.trajectories) * (k + 1LL)
                                  : static_cast<long long>(d.samples) * (k + 2LL);
  if (points > kMaxSensitivityPoints)
    fail_design(DesignProblem{morris ? "trajectories" : "samples",
                              "the design would have " + std::to_string(points) + " points (variants); at most " +
                                  std::to_string(kMaxSensitivityPoints)},
                root, design, samples, samples_key);
}

// A grid axis (a list, or a range {from, to, step}) or a Latin hypercube's ({from, to}).
void check_axis(const AxisSpec& axis, bool lhs) {
  const Path where = "axes." + axis.key;
  const Node& v = axis.value;
  if (v.is_map())
    for (const char* key : {"low", "high", "log", "narrowed"})
      if (v.find(key))
        throw InputError(v.key_position(key), where + "." + key,
                         std::string(key) + ": is for morris and sobol parameters (lhs: {from, to}; grid: {from, to, step})");
  if (lhs) {
    if (v.is_list()) fail(v, where, "a Latin hypercube axis is an interval {from, to}, not a list");
    if (v.find("step")) throw InputError(v.key_position("step"), where + ".step", "a Latin hypercube axis is {from, to[, integer]}: no step");
    if (!v.find("from") || !v.find("to")) fail(v, where, "expected {from, to}");
    if (!(axis.range.to > axis.range.from)) fail(*v.find("to"), where + ".to", "must be greater than 'from'");
    return;
  }
  if (v.is_list()) return;
  if (v.find("integer")) throw InputError(v.key_position("integer"), where + ".integer", "integer: is for lhs, morris and sobol axes");
  if (!v.find("from") || !v.find("to")) fail(v, where, "expected {from, to, step}");
  if (!v.find("step")) fail(v, where, "a range needs a step: {from, to, step}");
  if (axis.range.to < axis.range.from) fail(*v.find("to"), where + ".to", "must not be less than 'from'");
  if (std::floor((axis.range.to - axis.range.from) / axis.range.step + 1e-9) + 1 > 100000)
    fail(*v.find("step"), where + ".step", "the range has more than 100,000 values");
}

// Design-dependent checks, after every key is read: which keys a design takes, and its axes.
void check_design(StudyFile& st, const Node& root) {
  const Node* design = root.find("design");
  const bool design_map = design && design->is_map();
  if (!design && root.find("variants") && !root.find("axes")) st.design.type = "variants";
  const std::string& type = st.design.type;
  const bool lhs = type == "lhs", morris = type == "morris", sobol = type == "sobol";
  // samples and seed may be given at the top level (shorthand) or in the design map (wins).
  const Node* samples = design_map && design->find("samples") ? design->find("samples") : root.find("samples");
  const Node* seed = design_map && design->find("seed") ? design->find("seed") : root.find("seed");
  const std::string samples_key = design_map && design->find("samples") ? "design.samples" : "samples";
  const std::string seed_key = design_map && design->find("seed") ? "design.seed" : "seed";
  if (!(design_map && design->find("samples"))) st.design.samples = st.samples;
  if (!(design_map && design->find("seed"))) st.design.seed = st.seed;
  if (lhs || sobol) {
    if (!samples)
      fail(design ? *design : root, design_map ? "design.samples" : "samples",
           lhs ? "a Latin hypercube needs samples: N (an integer in [1, 100000])"
               : "a sobol design needs samples: N, its base samples (a power of two; N (k + 2) design points)");
  } else if (samples) {
    fail(*samples, samples_key, morris ? "a morris design takes trajectories: r (in design:), not samples"
                                       : "only the lhs and sobol designs take samples");
  }
  if (seed && !(lhs || morris || sobol)) fail(*seed, seed_key, "only the lhs, morris and sobol designs take a seed");
  if (design_map) {
    for (const char* key : {"trajectories", "levels", "candidates"})
      if (design->find(key) && !morris)
        throw InputError(design->key_position(key), std::string("design.") + key, std::string("only design: morris takes ") + key);
    if (design->find("bootstrap") && !(morris || sobol))
      throw InputError(design->key_position("bootstrap"), "design.bootstrap", "only the morris and sobol designs take bootstrap");
  }
  if (morris && !(design_map && design->find("trajectories")))
    fail(design ? *design : root, "design.trajectories",
         "a morris design needs trajectories: r (an integer >= 2): design: {type: morris, trajectories: r}");
  if (root.find("outcomes") && !(morris || sobol))
    throw InputError(root.key_position("outcomes"), "outcomes",
                     "outcomes: are for the morris and sobol designs (metrics: says what the summary shows)");

  const Node* axes = root.find("axes");
  const Node* variants = root.find("variants");
  if (type == "variants") {
    if (axes) throw InputError(root.key_position("axes"), "axes", "design: variants lists its variants under variants:, not axes:");
    if (!variants) fail(root, "variants", "design: variants needs a list of variants (maps of key.path: value, optional name)");
    return;
  }
  if (variants) throw InputError(root.key_position("variants"), "variants", "variants: needs design: variants");
  if (!axes) fail(root, "axes", "expected a map of scenario key path -> values (design: " + type + ")");
  if (morris || sobol) return check_sensitivity_design(st, root, design, samples, samples_key);
  if (st.axes.empty()) fail(*axes, "axes", "expected at least one axis: scenario key path -> values");
  for (const AxisSpec& axis : st.axes) check_axis(axis, lhs);
}

const Schema<StudyFile>& study_schema() {
  static const Schema<StudyFile> s = [] {
    Schema<StudyFile> schema;
    auto name = scenario_detail::text("name", &StudyFile::name, "any text", "study name");
    name.default_doc = "(the file's name)";
    schema.fields = {
        name,
        base_field(),
        set_field(),
        axes_field(),
        design_field(),
        variants_field(),
        scenario_detail::num("replicates", &StudyFile::replicates, scenario_detail::between(1, 100000), "",
                             "replicates of every variant (replicate r of every variant shares streams)"),
        scenario_detail::choice_list("metrics", &StudyFile::metrics, study_metric_names(),
                                     "citywide service metrics summarised (mean, CI, paired differences)"),
        required(scenario_detail::choice_list("outcomes", &StudyFile::outcomes, sensitivity_outcome_names(),
                                              "morris, sobol: the outcomes indices are computed for (per service; "
                                              "cost_* and access_share citywide)"),
                 "headline: coverage, unmet_hours, mean_wait_working_min, cost_total_yuan"),
        scenario_detail::num("confidence", &StudyFile::confidence, scenario_detail::Range{0, 1, true, true}, "",
                             "confidence level of the intervals (Student t)"),
        required(scenario_detail::num("samples", &StudyFile::samples, scenario_detail::between(1, 100000), "variants",
                                      "lhs, sobol: shorthand for design.samples"), "none"),
        scenario_detail::num("seed", &StudyFile::seed, scenario_detail::between(0, kMaxSeed), "",
                             "lhs, morris, sobol: shorthand for design.seed"),
    };
    schema.check = [](StudyFile& st, const Node& n, const Path&) {
      if (!n.find("base")) fail(n, "base", "required: the path of the base scenario (relative to the study file)");
      check_design(st, n);
    };
    return schema;
  }();
  return s;
}

// ------------------------------------------------------------------ designs: axes -> variants
std::string variant_name(const std::vector<std::pair<std::string, std::string>>& values,
                         const std::vector<std::string>& keys) {
  std::string name;
  for (const auto& [key, value] : values) name += (name.empty() ? "" : ", ") + short_name(key, keys) + "=" + value;
  return name;
}

// Explicit variants; the axes are the keys they set, in first-seen order, with each variant's value
// ("" where a variant keeps the base's value).
void expand_variants(const StudyFile& file, Study& st) {
  for (const VariantSpec& spec : file.variants)
    for (size_t k = 0; k < spec.variant.values.size(); ++k) {
      const std::string& key = spec.variant.values[k].first;
      if (std::find(st.axis_keys.begin(), st.axis_keys.end(), key) != st.axis_keys.end()) continue;
      st.axis_keys.push_back(key);
      StudyAxis axis;
      axis.key = key;
      axis.pos = spec.value_pos[k];
      st.axes.push_back(axis);
    }
  for (const VariantSpec& spec : file.variants) {
    StudyVariant v = spec.variant;
    if (v.name.empty()) v.name = v.values.empty() ? "base" : variant_name(v.values, st.axis_keys);
    st.variants.push_back(v);
  }
  for (auto& axis : st.axes)
    for (size_t i = 0; i < st.variants.size(); ++i) {
      std::string val;
      SourcePos pos = st.variants[i].pos;
      const auto& values = st.variants[i].values;
      for (size_t k = 0; k < values.size(); ++k)
        if (values[k].first == axis.key) {
          val = values[k].second;
          pos = file.variants[i].value_pos[k];
        }
      axis.values.push_back(val);
      axis.value_pos.push_back(pos);
    }
}

// The axes of a grid or lhs design as written: lists kept, grid ranges expanded.
void read_axes(const StudyFile& file, Study& st) {
  for (const AxisSpec& spec : file.axes) {
    StudyAxis axis;
    axis.key = spec.key;
    axis.pos = spec.key_pos;
    axis.values = spec.values;
    if (spec.value.is_list())
      for (const Node& item : spec.value.items) axis.value_pos.push_back(item.pos);
    if (spec.value.is_map()) {
      const AxisRange& r = spec.range;
      axis.from = st.is_sensitivity() ? r.low : r.from;
      axis.to = st.is_sensitivity() ? r.high : r.to;
      axis.integer = r.integer;
      axis.log = r.log;
      if (st.design == "grid") {
        const double count = std::floor((r.to - r.from) / r.step + 1e-9) + 1;
        const bool ints = integral(r.from) && integral(r.step);
        for (int i = 0; i < static_cast<int>(count); ++i) axis.values.push_back(number_text(r.from + i * r.step, ints));
      }
    }
    st.axes.push_back(axis);
    st.axis_keys.push_back(spec.key);
  }
}

// Full factorial; the first axis varies slowest (nested loops in the order written).
void expand_grid(const StudyFile& file, Study& st) {
  read_axes(file, st);
  size_t total = 1;
  for (const auto& a : st.axes) {
    total *= a.values.size();
    if (total > 1000000) throw InputError(file.axes_pos, "axes", "the grid has more than 1,000,000 variants");
  }
  for (size_t index = 0; index < total; ++index) {
    StudyVariant v;
    v.pos = file.axes_pos;
    size_t rest = index;
    std::vector<size_t> digits(st.axes.size());
    for (size_t a = st.axes.size(); a-- > 0;) {
      digits[a] = rest % st.axes[a].values.size();
      rest /= st.axes[a].values.size();
    }
    for (size_t a = 0; a < st.axes.size(); ++a) v.values.emplace_back(st.axes[a].key, st.axes[a].values[digits[a]]);
    v.name = variant_name(v.values, st.axis_keys);
    st.variants.push_back(v);
  }
}

// Latin hypercube: each axis cut into `samples` equal strata, one sample per stratum, strata
// shuffled per axis.
void expand_lhs(const StudyFile& file, Study& st) {
  read_axes(file, st);
  const int n = st.lhs_samples;
  for (size_t a = 0; a < st.axes.size(); ++a) {
    uint64_t state = st.lhs_seed * 0x9E3779B97F4A7C15ull + a;
    std::vector<int> perm(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
    for (int i = n - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[splitmix64(state) % static_cast<uint64_t>(i + 1)]);
    StudyAxis& axis = st.axes[a];
    axis.values.clear();
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
      const double x = axis.from + (axis.to - axis.from) * (perm[static_cast<size_t>(i)] + u) / n;
      axis.values.push_back(number_text(x, axis.integer));
    }
  }
  for (int i = 0; i < n; ++i) {
    StudyVariant v;
    v.pos = file.axes_pos;
    for (const auto& axis : st.axes) v.values.emplace_back(axis.key, axis.values[static_cast<size_t>(i)]);
    v.name = variant_name(v.values, st.axis_keys);
    st.variants.push_back(v);
  }
}

// A sensitivity design's parameters against the parameter registry (docs/sensitivity.md): an axis
// without low and high takes the registry's range for the base scenario (log for a loguniform
// range, integer for an integer key); every axis is marked lever or uncertain parameter, and where
// its range comes from: "registry", "narrowed: REASON", "narrower than the registry's range (no
// reason given)", "beyond the registry's range" or "the study's (no registry entry)".
void apply_registry(const StudyFile& file, Study& st) {
  const Scenario base = load_scenario(st.base_file, st.base_overrides);
  for (size_t a = 0; a < st.axes.size(); ++a) {
    StudyAxis& axis = st.axes[a];
    const AxisSpec& spec = file.axes[a];
    const bool given = spec.value.find("low") != nullptr;
    std::string problem;  // why the key has no registry range
    Parameter p;
    try {
      const std::vector<Parameter> found = ParameterRegistry::shipped().parameters(base, {axis.key}, false);
      if (found.empty()) problem = "not a parameter of the registry (commsim params lists them)";
      else p = found.front();
      if (problem.empty() && !p.sampled()) problem = "fixed in the parameter registry (" + p.source + "): it has no range";
    } catch (const InputError& e) {
      problem = "not a parameter of the registry with a range for this scenario (" + std::string(e.what()) + ")";
    }
    if (!problem.empty()) {
      if (!given) fail(spec.value, "axes." + axis.key, problem + "; give {low, high}");
      axis.range_origin = "the study's (no registry range)";
      continue;
    }
    axis.lever = p.lever;
    axis.registry_low = p.low;
    axis.registry_high = p.high;
    if (!given) {
      axis.from = p.low;
      axis.to = p.high;
      axis.log = p.distribution == Distribution::loguniform;
      axis.integer = axis.integer || p.integer;
      axis.range_origin = "registry";
    } else if (!spec.range.narrowed.empty()) {
      axis.range_origin = "narrowed: " + spec.range.narrowed;
    } else if (axis.from < p.low || axis.to > p.high) {
      axis.range_origin = "beyond the registry's range";
    } else {
      axis.range_origin = axis.from > p.low || axis.to < p.high ? "narrower than the registry's range (no reason given)"
                                                                : "registry";
    }
  }
}

// Morris trajectories or Saltelli's scheme (sensitivity.hpp): one variant per design point, in the
// design's run order, each coordinate mapped to its parameter's range. The points of a group (a
// trajectory, or the A, B and AB_i points of a base sample) share their run seed (plan_study).
void expand_sensitivity(const StudyFile& file, Study& st) {
  read_axes(file, st);
  apply_registry(file, st);
  SensitivitySpec& sp = st.sensitivity;
  const int k = static_cast<int>(st.axes.size());
  for (const auto& axis : st.axes) {
    ParameterDistribution range;
    range.kind = axis.log ? ParameterDistribution::Kind::log_uniform : ParameterDistribution::Kind::uniform;
    range.low = axis.from;
    range.high = axis.to;
    sp.ranges.push_back(range);
  }
  sp.seed = file.design.seed;
  sp.bootstrap.resamples = file.design.bootstrap;
  sp.bootstrap.confidence = st.confidence;
  sp.bootstrap.seed = sp.seed;
  sp.outcomes = file.outcomes.empty() ? default_sensitivity_outcomes() : file.outcomes;
  std::vector<std::string> names;
  if (st.design == "morris") {
    sp.morris.trajectories = file.design.trajectories;
    sp.morris.levels = file.design.levels;
    sp.morris.candidates = file.design.candidates;
    sp.morris.seed = sp.seed;
    sp.morris_design = morris_design(k, sp.morris);
    for (int t = 0; t < sp.morris.trajectories; ++t)
      for (int m = 0; m <= k; ++m) {
        sp.group.push_back(t);
        names.push_back("trajectory " + std::to_string(t) + ", point " + std::to_string(m));
      }
  } else {
    sp.base_samples = file.design.samples;
    sp.sobol_design = sobol_design(k, sp.base_samples, sp.seed);
    for (int j = 0; j < sp.base_samples; ++j) {
      const std::string sample = "sample " + std::to_string(j) + ", ";
      names.push_back(sample + "A");
      names.push_back(sample + "B");
      for (const auto& axis : st.axes) names.push_back(sample + "AB " + short_name(axis.key, st.axis_keys));
      sp.group.insert(sp.group.end(), static_cast<size_t>(k + 2), j);
    }
  }
  for (auto& axis : st.axes) axis.values.clear();
  const auto& points = sp.unit_points();
  for (size_t p = 0; p < points.size(); ++p) {
    StudyVariant v;
    v.pos = file.axes_pos;
    v.name = names[p];
    for (size_t a = 0; a < st.axes.size(); ++a) {
      StudyAxis& axis = st.axes[a];
      axis.values.push_back(number_text(map_unit(points[p][a], sp.ranges[a]), axis.integer));
      v.values.emplace_back(axis.key, axis.values.back());
    }
    st.variants.push_back(std::move(v));
  }
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
      "p_wait", "share_communities_below_target", "gini", "worst_decile_coverage", "unmet_hours",
      "mean_wait_working_min"};
  return names;
}

namespace {
// Citywide run results a sensitivity design can take as an outcome (attributes of the run group).
const std::vector<std::string> kCitywideOutcomes = {"cost_total_yuan", "cost_per_resident_yuan", "cost_per_served_yuan",
                                                    "access_share"};
}  // namespace

const std::vector<std::string>& sensitivity_outcome_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out = study_metric_names();
    out.insert(out.end(), kCitywideOutcomes.begin(), kCitywideOutcomes.end());
    return out;
  }();
  return names;
}

const std::vector<std::string>& default_sensitivity_outcomes() {
  static const std::vector<std::string> names = {"coverage", "unmet_hours", "mean_wait_working_min", "cost_total_yuan"};
  return names;
}

bool outcome_per_service(const std::string& outcome) {
  return std::find(kCitywideOutcomes.begin(), kCitywideOutcomes.end(), outcome) == kCitywideOutcomes.end();
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
  const Node root = scenario_detail::parse_yaml(text, path, directory_of(path));
  if (!root.is_map()) throw InputError(root.pos, "", "a study must be a map (base, set, axes, design, replicates, ...)");
  StudyFile file;
  study_schema().read(file, root, "");

  st.name = root.find("name") ? file.name : fs::path(path).stem().string();
  st.base_file = file.base;
  st.base_overrides = file.set;
  for (const auto& o : cli_overrides) st.base_overrides.push_back(o);
  st.design = file.design.type;
  st.replicates = file.replicates;
  st.lhs_samples = file.design.samples;
  st.lhs_seed = file.design.seed;
  st.metrics = file.metrics.empty() ? StudyFile{}.metrics : file.metrics;
  st.confidence = file.confidence;

  if (st.design == "variants") expand_variants(file, st);
  else if (st.design == "grid") expand_grid(file, st);
  else if (st.design == "lhs") expand_lhs(file, st);
  else expand_sensitivity(file, st);
  return st;
}

namespace {

// Variant v's scenario: the base file, set:, --set, the variant's values (and with independent
// streams its own seed); `is_base`: whether it equals the base scenario (before the seed).
Scenario load_variant(const StudyPlan& plan, size_t v, bool* is_base) {
  const Study& st = plan.study;
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
  auto seeded = [&](int stream) {
    overrides.push_back("run.seed=" + std::to_string(independent_seed(plan.base.run.seed, stream)));
    return load(overrides);
  };
  if (st.is_sensitivity()) {  // the group's seed (every point its own with independent streams)
    if (is_base) *is_base = false;
    return seeded(plan.independent_streams ? static_cast<int>(v) : st.sensitivity.group[v]);
  }
  Scenario sc = load(overrides);
  if (is_base) *is_base = sc.resolved_yaml == plan.base.resolved_yaml;
  if (plan.independent_streams) sc = seeded(static_cast<int>(v));
  return sc;
}

}  // namespace

void add_variants(StudyPlan& plan, const std::vector<StudyVariant>& variants) {
  for (const StudyVariant& variant : variants) {
    plan.study.variants.push_back(variant);
    plan.scenarios.push_back(load_variant(plan, plan.study.variants.size() - 1, nullptr));
  }
}

StudyPlan plan_study(const std::string& path, const std::vector<std::string>& cli_overrides, bool independent_streams) {
  return plan_parsed_study(parse_study(path, cli_overrides), independent_streams);
}

StudyPlan plan_parsed_study(Study study, bool independent_streams) {
  StudyPlan plan;
  plan.study = std::move(study);
  plan.independent_streams = independent_streams;
  const Study& st = plan.study;
  plan.base = load_scenario(st.base_file, st.base_overrides);

  // Each axis key alone first, so that an unknown key or a bad value is reported where the study
  // file writes it: every value written out (lists, variants), the ends of a computed axis (a grid
  // range's first and last value; an interval's ends).
  for (const auto& axis : st.axes) {
    std::vector<std::pair<std::string, SourcePos>> checked;  // (value, where it is written)
    if (!axis.value_pos.empty()) {
      for (size_t i = 0; i < axis.values.size(); ++i) checked.emplace_back(axis.values[i], axis.value_pos[i]);
    } else if (st.design == "grid") {
      checked = {{axis.values.front(), axis.pos}, {axis.values.back(), axis.pos}};
    } else {
      checked = {{number_text(axis.from, axis.integer), axis.pos}, {number_text(axis.to, axis.integer), axis.pos}};
    }
    std::set<std::string> seen;
    for (const auto& [value, pos] : checked) {
      if (value.empty() || !seen.insert(value).second) continue;  // "": the base's value
      std::vector<std::string> overrides = st.base_overrides;
      overrides.push_back(axis.key + "=" + value);
      try {
        (void)load_scenario(st.base_file, overrides);
      } catch (const InputError& e) {
        throw InputError(pos, axis.key, std::string("not a valid scenario key path or value (") + e.what() + ")");
      }
    }
  }
  int base_found = -1;
  for (size_t v = 0; v < st.variants.size(); ++v) {
    bool is_base = false;
    plan.scenarios.push_back(load_variant(plan, v, &is_base));
    if (base_found < 0 && is_base) base_found = static_cast<int>(v);
  }
  plan.base_variant = base_found < 0 ? 0 : base_found;
  std::string key = st.text + "\n--base--\n" + plan.base.resolved_yaml + "\n--set--\n";
  for (const auto& o : st.base_overrides) key += o + "\n";
  key += independent_streams ? "independent\n" : "paired\n";
  key += std::string(kVersion) + " " + kGitCommit;
  plan.hash = hash_hex(key);
  return plan;
}

std::string study_reference_markdown() {
  std::vector<DocRow> rows;
  study_schema().doc(rows, "");
  return "# Study file reference\n\n"
         "<!-- Generated by commsim::study_reference_markdown() from the study file's schema "
         "(sim/study/study.cpp). Do not edit by hand: a test fails when this file drifts. -->\n\n"
         "A study file (`commsim study STUDY.yaml`, [studies.md](studies.md)) is a YAML map with the keys\n"
         "below. It is read with the same schema machinery as scenarios ([scenario-reference.md](scenario-reference.md)):\n"
         "unknown keys are refused with the closest known key suggested, and errors are reported as\n"
         "`file:line:column: key 'a.b': message`.\n\n"
         "Rules that involve several keys:\n\n"
         "- `base` is required. The keys varied are scenario key paths, as for `--set` (`a.b.c`, map entries by\n"
         "  name, list items by index); every axis key and every variant is loaded and validated against the\n"
         "  scenario schema before anything runs, and an error points at the axis or the variant.\n"
         "- `design: grid` (the default) and `design: lhs` take `axes:`; `design: variants` takes `variants:`\n"
         "  (and is the default when only `variants:` is given).\n"
         "- grid: each axis is a list of values or a range `{from, to, step}` (`to` included when on a step;\n"
         "  at most 100,000 values an axis, 1,000,000 variants in all); the first axis varies slowest.\n"
         "- lhs: each axis is an interval `{from, to}` (`to > from`, optional `integer: true`), and\n"
         "  `samples` is required (in `design:` or at the top level).\n"
         "- morris and sobol (sensitivity designs, [sensitivity.md](sensitivity.md)): each axis is a parameter,\n"
         "  a range `{low, high}` (`high > low`; optional `log: true`, sampled uniformly in log, `low > 0`;\n"
         "  optional `integer: true`), at least one. morris needs `design: {type: morris, trajectories: r}`\n"
         "  (r >= 2; `levels` even; `candidates` 0 or more than r); sobol needs `samples: N`, a power of two.\n"
         "  `outcomes` and `bootstrap` are for these designs only; `confidence` must be in [0.5, 0.999].\n"
         "  A design has at most 1,000,000 points (variants).\n"
         "- `samples` is for lhs and sobol, `seed` for lhs, morris and sobol, `trajectories`, `levels` and\n"
         "  `candidates` for morris.\n"
         "- `metrics: []` means the default metrics; `outcomes: []` the headline outcomes.\n\n" +
         scenario_detail::reference_table(rows);
}

}  // namespace commsim

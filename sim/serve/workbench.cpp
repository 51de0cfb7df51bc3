#include "sim/serve/workbench.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <new>
#include <set>

#include "sim/core/error.hpp"
#include "sim/engine/census_city.hpp"
#include "sim/engine/city.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/summary_json.hpp"
#include "sim/population/census.hpp"
#include "sim/scenario/load.hpp"
#include "sim/serve/run_files.hpp"
#include "sim/serve/web_assets.hpp"

namespace commsim::serve {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The levers a planner moves first; the page lists them above the other keys (those a scenario
// lacks are left out). Everything else is under "advanced".
const std::vector<std::string> kMainLevers = {
    "staffing.rules.community_worker.per_10k", "sizing.mode", "sizing.households",
    "facility.m2_per_100_households", "run.days", "city.generator.communities", "run.replicates", "run.seed",
    // issue 24: the operating funds (a share buys service hours) and facilities short of the norm
    "funding.district_urban_per_community_yuan", "funding.purchase_share", "facility.shortfall_share"};

// HDF5 calls of the workers are serialised: the library takes one global lock anyway, and this
// keeps two runs' writes from interleaving. Request threads never call HDF5.
std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

// Planning jobs run one at a time in the process: allocate_staff writes its communities file to a
// temporary name of the process, and a front's NSGA-II is not meant to share its evaluator.
std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  // Text from a request (echoed in an error) may not be UTF-8: replaced, never an exception.
  r.body = body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

// A request the loader or the CLI's checks refused: 400 with the key and the message after it (for forms).
HttpResponse input_error_response(const InputError& e) {
  return json_response(400, json{{"error", e.what()}, {"status", 400}, {"key", e.key()}, {"message", e.message()}});
}

HttpResponse text_response(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

HttpResponse method_not_allowed(const std::string& method, const std::string& path, const std::string& allowed) {
  HttpResponse r = error_response(405, "method " + method + " is not allowed on " + path + "; allowed: " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

// Percent-decoding of one query component; false for a malformed escape.
bool url_decode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
        return false;
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i] == '+' ? ' ' : in[i];
    }
  }
  return true;
}

// "a=1&b=2" -> {a: 1, b: 2}, refusing parameters not in `allowed`, repeats and bad escapes.
std::map<std::string, std::string> parse_query(const std::string& query, const std::vector<std::string>& allowed) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string part = query.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string name, value;
    if (!url_decode(part.substr(0, eq), name) ||
        !url_decode(eq == std::string::npos ? "" : part.substr(eq + 1), value))
      throw std::invalid_argument("malformed %-escape in the query");
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw std::invalid_argument("unknown query parameter '" + name + "'; allowed: " + (list.empty() ? "none" : list));
    }
    if (out.count(name)) throw std::invalid_argument("query parameter '" + name + "' given twice");
    out[name] = value;
  }
  return out;
}

// Nesting depth of a JSON text (outside strings): refused above a small bound before parsing, so
// no request can make the parser or the value's destructor recurse deeply.
size_t json_depth(const std::string& text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// A `--set` key as the API accepts it: dotted names of letters, digits, '_' and '-'.
std::string key_problem(const std::string& key) {
  if (key.empty() || key.size() > 200) return "a key is 1 to 200 characters long";
  bool part_empty = true;
  for (char c : key) {
    if (c == '.') {
      if (part_empty) return "a key is names separated by single dots (run.days, staffing.rules.gp.per_10k)";
      part_empty = true;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') {
      part_empty = false;
    } else {
      return "a key holds only letters, digits, '_', '-' and '.' (run.days, staffing.rules.gp.per_10k)";
    }
  }
  if (part_empty) return "a key is names separated by single dots (run.days, staffing.rules.gp.per_10k)";
  return "";
}

// A JSON scalar as the YAML text of `--set key=value`. Text becomes a double-quoted YAML scalar,
// so it stays one value (never a list, map or second key) whatever characters it holds.
std::string yaml_value(const std::string& key, const json& value) {
  switch (value.type()) {
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return value.dump();
    case json::value_t::null: return "null";
    case json::value_t::string: {
      std::string out = "\"";
      for (unsigned char c : value.get_ref<const std::string&>()) {
        if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
        else if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else out += static_cast<char>(c);
      }
      return out + "\"";
    }
    default:
      throw InputError(SourcePos{}, key, "the value must be a JSON scalar (number, text, true/false), got " +
                                             std::string(value.type_name()));
  }
}

// File-path keys (`extends`, `*_file`) name files on the server: the API never takes them.
const std::set<std::string>& path_key_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    for (const auto& row : scenario_schema_rows())
      if (row.type == "path") out.insert(row.path.substr(row.path.rfind('.') + 1));
    return out;
  }();
  return names;
}

// The `--set` overrides of a posted "set" object, checked key by key (InputError names the key).
std::vector<std::string> overrides_of(const json& set) {
  std::vector<std::string> overrides;
  for (const auto& [key, value] : set.items()) {
    if (const std::string problem = key_problem(key); !problem.empty()) throw InputError(SourcePos{}, key, problem);
    const std::string last = key.substr(key.rfind('.') + 1);
    if (path_key_names().count(last))
      throw InputError(SourcePos{}, key,
                       "file paths cannot be set through the workbench (scenarios are chosen by name); use the CLI");
    overrides.push_back(key + "=" + yaml_value(key, value));
  }
  return overrides;
}

json typed_value(const ScenarioKey& k) {
  if (k.row.type == "boolean") return k.value == "true";
  if (k.row.type == "integer") {
    if (!k.value.empty() && k.value[0] == '-') return std::stoll(k.value);
    return std::stoull(k.value);
  }
  if (k.row.type == "number") return std::stod(k.value);
  return k.value;
}

// An integer bound of the schema (a double) as exact decimal text; 2^64 stands for the largest
// unsigned 64-bit value, which a double cannot hold.
std::string integer_text(double bound) {
  if (bound >= 18446744073709551615.0) return "18446744073709551615";
  char text[40];
  std::snprintf(text, sizeof text, "%.0f", bound);
  return text;
}

json row_json(const SchemaRow& row) {
  json j{{"path", row.path}, {"type", row.type},       {"unit", row.unit},
         {"default", row.default_value}, {"allowed", row.allowed}, {"meaning", row.meaning}};
  if (row.type == "integer" || row.type == "number") {
    j["low"] = std::isfinite(row.low) ? json(row.low) : json(nullptr);
    j["high"] = std::isfinite(row.high) ? json(row.high) : json(nullptr);
    j["low_open"] = row.low_open;
    j["high_open"] = row.high_open;
    if (row.type == "integer") {  // exact bounds as text: a double shows 2^64-1 as 18446744073709552000
      j["low_text"] = std::isfinite(row.low) ? json(integer_text(row.low)) : json(nullptr);
      j["high_text"] = std::isfinite(row.high) ? json(integer_text(row.high)) : json(nullptr);
    }
  }
  if (!row.choices.empty()) j["choices"] = row.choices;
  return j;
}

// The levers of a scenario: its single-valued keys with their schema rows. A census city's
// generator.communities is 0 (the whole city) or at least one community per census unit: the
// schema's [0, 1000000] would let the page send values the loader refuses.
json levers_json(const Scenario& sc, const std::vector<CountyCensus>& units) {
  json levers = json::array();
  for (const ScenarioKey& k : scenario_scalar_keys(sc)) {
    if (k.key == "run.threads") continue;  // the server decides (--threads); results do not depend on it
    json lever = row_json(k.row);
    lever.erase("path");
    lever["schema_path"] = k.row.path;
    lever["key"] = k.key;
    lever["value"] = typed_value(k);
    if (k.key == "city.generator.communities" && sc.city.census.enabled() && sc.city.communities.empty()) {
      lever["nonzero_low"] = units.size();
      lever["allowed"] = "0 (the whole city) or " + std::to_string(units.size()) + " to 1000000 (one per census unit at least)";
    }
    levers.push_back(std::move(lever));
  }
  return levers;
}

// The comment block a shipped scenario opens with: the question it answers.
// The scenario list's estimate of a scenario's residents. A whole census city: its units' residents
// straight from the census table, with no household templates fitted (the nation's 2,943 units
// would cost seconds at every start of the server); any other city as estimate_residents.
double listing_residents(const Scenario& sc, const std::vector<CountyCensus>& units) {
  const CensusCity& cc = sc.city.census;
  if (cc.file.empty() || sc.city.generator.communities > 0 || !sc.city.communities_file.empty())
    return estimate_residents(sc);
  double n = 0;
  for (const CountyCensus& u : units) n += static_cast<double>(cc.residents == "all" ? u.population : u.urban);
  return n;
}

std::string description_of(const std::string& path) {
  std::ifstream in(path);
  std::string line, out;
  int lines = 0;
  while (std::getline(in, line) && line.rfind("#", 0) == 0 && lines < 3) {
    size_t start = line.find_first_not_of("# ");
    if (start == std::string::npos) continue;
    out += (out.empty() ? "" : " ") + line.substr(start);
    ++lines;
  }
  return out;
}

std::string command_line_of(const std::string& path, const std::vector<std::string>& overrides) {
  std::string s = "commsim run " + path;
  for (const auto& o : overrides) s += " --set '" + o + "'";
  return s + " (commsim serve)";
}

bool is_json_content_type(const std::string& content_type) {
  std::string base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  std::transform(base.begin(), base.end(), base.begin(), [](unsigned char c) { return std::tolower(c); });
  return base == "application/json";
}

// The collection a kind is posted to and listed under: runs, allocations, fronts.
std::string collection_name(const std::string& kind) { return kind == "run" ? "runs" : kind + "s"; }

// Compares the two strings in time that depends only on their lengths (tokens).
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

HttpResponse error_response(int status, const std::string& message, const std::string& key) {
  json j{{"error", message}, {"status", status}};
  if (!key.empty()) j["key"] = key;
  return json_response(status, j);
}

Workbench::Workbench(ServeOptions options) : options_(std::move(options)), store_(options_.data_dir) {
  std::error_code ec;
  if (!fs::is_directory(options_.scenarios_dir, ec))
    throw InputError(SourcePos{"command line", 0, 0}, "--scenarios",
                     "no scenario directory '" + options_.scenarios_dir + "' (give the shipped scenarios/ folder)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(options_.scenarios_dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, CensusTable> census_tables;
  for (const auto& file : files) {
    Shipped s;
    s.name = file.stem().string();
    s.path = file.string();
    const Scenario sc = load_scenario(s.path);  // a shipped file that does not load is a broken install
    s.description = description_of(s.path);
    s.days = sc.run.days;
    s.replicates = sc.run.replicates;
    s.seed = sc.run.seed;
    // A census city's units (the census table read once for all the scenarios that share it).
    std::vector<CountyCensus> units;
    if (sc.city.census.enabled()) {
      auto table = census_tables.find(sc.city.census.file);
      if (table == census_tables.end()) table = census_tables.emplace(sc.city.census.file, CensusTable::load(sc.city.census.file)).first;
      units = census_units(table->second, sc.city.census);
    }
    s.residents_estimate = listing_residents(sc, units);
    const json levers = levers_json(sc, units);
    json main = json::array();
    for (const auto& key : kMainLevers)
      for (const auto& lever : levers)
        if (lever["key"] == key) main.push_back(key);
    s.schema_json = json{{"scenario", s.name}, {"main", main}, {"levers", levers}}.dump() + "\n";
    shipped_.push_back(std::move(s));
  }
  if (shipped_.empty())
    throw InputError(SourcePos{"command line", 0, 0}, "--scenarios",
                     "no scenario files (*.yaml) in '" + options_.scenarios_dir + "'");
  for (const auto& run : store_.pending()) queue_.push_back(run);
}

Workbench::~Workbench() {
  stop();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
}

void Workbench::start_workers() {
  for (int i = 0; i < options_.max_runs; ++i) workers_.emplace_back([this] { worker_loop(); });
}

std::vector<std::string> Workbench::scenario_names() const {
  std::vector<std::string> names;
  for (const auto& s : shipped_) names.push_back(s.name);
  return names;
}

const Workbench::Shipped* Workbench::shipped(const std::string& name) const {
  for (const auto& s : shipped_)
    if (s.name == name) return &s;
  return nullptr;
}

bool Workbench::stop() {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  stopping_ = true;
  queue_cv_.notify_all();
  return running_ > 0;
}

void Workbench::interrupt_running() {
  std::vector<std::shared_ptr<RunRecord>> active;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    active = active_;
  }
  for (const auto& run : active) store_.mark_failed(*run, "interrupted: the server stopped during the run");
}

// ------------------------------------------------------------------ requests
bool Workbench::host_allowed(const std::string& host) const {
  // Without a token the server trusts the machine's own users only; a page elsewhere that points a
  // name of its own at 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
  if (!options_.token.empty()) return true;
  std::string name = host;
  if (!name.empty() && name[0] == '[') {  // an IPv6 literal, "[::1]:8080"
    const size_t close = name.find(']');
    if (close == std::string::npos) return false;
    name = name.substr(0, close + 1);
  } else {
    name = name.substr(0, name.find(':'));
  }
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  // (No Host at all comes from a program, not a browser: browsers always send it.)
  if (name.empty()) return true;
  return name == "127.0.0.1" || name == "localhost" || name == "[::1]" || name == bound_host();
}

// The address the server listens on as a URL writes it (an IPv6 address in brackets).
std::string Workbench::bound_host() const {
  std::string host = options_.bind.find(':') != std::string::npos ? "[" + options_.bind + "]" : options_.bind;
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  return host;
}

HttpResponse Workbench::handle(const HttpRequest& request) {
  HttpResponse response;
  try {
    const size_t q = request.target.find('?');
    const std::string path = request.target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : request.target.substr(q + 1);
    if (path.empty() || path[0] != '/') {
      response = error_response(400, "the request target must be a path starting with '/'");
    } else if (!host_allowed(request.host)) {
      response = error_response(403, "Host '" + request.host + "' is not this server: open http://" + bound_host() +
                                         ":" + std::to_string(bound_port_) + "/ (or give --token to serve other names)");
    } else if (path == "/api" || path.rfind("/api/", 0) == 0) {
      if (!options_.token.empty() && !same_secret(request.authorization, "Bearer " + options_.token)) {
        response = error_response(401, "this server needs 'Authorization: Bearer TOKEN' (the token given to "
                                       "commsim serve); open the page as http://HOST:PORT/#token=TOKEN");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
      } else {
        response = api(request, path, query);
      }
      response.headers.emplace_back("Cache-Control", "no-store");
    } else {
      const WebAsset* asset = find_web_asset(path);
      if (!asset) {
        response = error_response(404, "no page or file '" + path + "' (the workbench is at /, its API under /api/)");
      } else if (request.method != "GET" && request.method != "HEAD") {
        response = method_not_allowed(request.method, path, "GET, HEAD");
      } else if (!query.empty()) {
        response = error_response(400, "the page and its files take no query");
      } else {
        response = text_response(200, std::string(reinterpret_cast<const char*>(asset->data), asset->size),
                                 asset->content_type);
        // The page loads only its own scripts and styles, from this server: no inline code, no
        // other origin, no framing.
        response.headers.emplace_back("Content-Security-Policy",
                                      "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                                      "base-uri 'none'; frame-ancestors 'none'; form-action 'none'");
        response.headers.emplace_back("Cache-Control", "no-cache");
      }
    }
  } catch (const std::bad_alloc&) {
    response = error_response(503, "out of memory while answering; try again");
  } catch (const std::exception& e) {
    response = error_response(500, std::string("internal error: ") + e.what());
  }
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

HttpResponse Workbench::api(const HttpRequest& request, const std::string& path, const std::string& query) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  auto no_query = [&]() -> bool { return query.empty(); };
  if (path == "/api/scenarios") {
    if (!get) return method_not_allowed(request.method, path, "GET, HEAD");
    if (!no_query()) return error_response(400, path + " takes no query");
    json list = json::array();
    for (const auto& s : shipped_) {
      const double resident_days = s.residents_estimate * s.days * s.replicates;
      list.push_back(json{{"name", s.name},
                          {"description", s.description},
                          {"days", s.days},
                          {"replicates", s.replicates},
                          {"seed", s.seed},
                          {"residents_estimate", std::round(s.residents_estimate)},
                          {"resident_days", resident_days},
                          {"within_limits", resident_days <= options_.max_resident_days &&
                                                s.replicates <= options_.max_replicates}});
    }
    return json_response(200, json{{"scenarios", list}});
  }
  if (path == "/api/schema") {
    if (!get) return method_not_allowed(request.method, path, "GET, HEAD");
    return get_schema(query);
  }
  for (const char* kind : {"run", "allocation", "front"})
    if (path == "/api/" + collection_name(kind)) return collection(request, kind, path, query);
  if (path.rfind("/api/runs/", 0) == 0) {
    const std::string rest = path.substr(std::string("/api/runs/").size());
    const size_t slash = rest.find('/');
    const std::string id = rest.substr(0, slash), what = slash == std::string::npos ? "" : rest.substr(slash + 1);
    static const std::vector<std::string> kParts = {"", "summary", "output.h5", "communities", "replicates",
                                                     "citywide.csv"};
    if (std::find(kParts.begin(), kParts.end(), what) == kParts.end())
      return error_response(404, "no resource '" + path + "'; a run has /api/runs/ID and /api/runs/ID/{summary, "
                                 "output.h5, communities, replicates, citywide.csv}");
    if (!get) return method_not_allowed(request.method, path, "GET, HEAD");
    if (!no_query()) return error_response(400, path + " takes no query");
    return get_run(id, what);
  }
  for (const char* kind : {"allocation", "front"}) {
    const std::string prefix = "/api/" + collection_name(kind) + "/";
    if (path.rfind(prefix, 0) != 0) continue;
    if (!get) return method_not_allowed(request.method, path, "GET, HEAD");
    if (!no_query()) return error_response(400, path + " takes no query");
    return get_plan(kind, path.substr(prefix.size()));
  }
  if (path == "/api/compare") {
    if (!get) return method_not_allowed(request.method, path, "GET, HEAD");
    return get_compare(query);
  }
  return error_response(404, "no API resource '" + path + "'; see docs/workbench.md (/api/scenarios, /api/schema, "
                             "/api/runs, /api/runs/ID, /api/compare, /api/allocations, /api/fronts)");
}

// POST a new job of `kind`, or GET the list of that kind (newest first).
HttpResponse Workbench::collection(const HttpRequest& request, const std::string& kind, const std::string& path,
                                   const std::string& query) {
  if (!query.empty()) return error_response(400, path + " takes no query");
  if (request.method == "POST") return post_job(request, kind);
  if (request.method != "GET" && request.method != "HEAD")
    return method_not_allowed(request.method, path, "GET, HEAD, POST");
  json list = json::array();
  for (const auto& run : store_.all(kind)) list.push_back(store_.to_json(*run));
  return json_response(200, json{{collection_name(kind), list}});
}

// A record as the API shows it, with its place in the queue while it waits.
json Workbench::record_json(const std::shared_ptr<RunRecord>& run) {
  json j = store_.to_json(*run);
  if (run->status == RunStatus::queued) {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    for (size_t i = 0; i < queue_.size(); ++i)
      if (queue_[i] == run) j["queue_position"] = i + 1;
  }
  return j;
}

// An allocation or a front: its record, its place in the queue, and once done its result.
HttpResponse Workbench::get_plan(const std::string& kind, const std::string& id) {
  const std::shared_ptr<RunRecord> run = store_.find(id);
  if (!run || run->kind != kind)
    return error_response(404, "no " + kind + " '" + id + "' (GET /api/" + collection_name(kind) + " lists them)");
  json j = record_json(run);
  if (run->status == RunStatus::done) j["result"] = json::parse(read_whole_file(store_.file(id, "result.json")));
  return json_response(200, j);
}

HttpResponse Workbench::get_schema(const std::string& query) {
  std::map<std::string, std::string> params;
  try {
    params = parse_query(query, {"scenario"});
  } catch (const std::invalid_argument& e) {
    return error_response(400, e.what());
  }
  if (params.count("scenario")) {
    const Shipped* s = shipped(params["scenario"]);
    if (!s) return error_response(404, "no shipped scenario '" + params["scenario"] + "' (GET /api/scenarios lists them)", "scenario");
    return text_response(200, s->schema_json, "application/json");
  }
  static const std::string rows = [] {
    json list = json::array();
    for (const auto& row : scenario_schema_rows()) list.push_back(row_json(row));
    return json{{"rows", list}}.dump() + "\n";
  }();
  return text_response(200, rows, "application/json");
}

bool Workbench::read_post(const HttpRequest& request, const std::string& what, const std::vector<std::string>& fields,
                          Posted& p, HttpResponse& error) const {
  auto fail = [&](HttpResponse r) { error = std::move(r); return false; };
  if (!is_json_content_type(request.content_type))
    return fail(error_response(415, what + " takes a JSON body with 'Content-Type: application/json', got '" +
                                        request.content_type + "'"));
  if (json_depth(request.body) > 8) return fail(error_response(400, "the JSON body is nested too deeply"));
  try {
    p.body = json::parse(request.body);
  } catch (const json::exception& e) {
    return fail(error_response(400, std::string("malformed JSON: ") + e.what()));
  }
  std::string allowed;
  for (const auto& f : fields) allowed += (allowed.empty() ? "" : ", ") + f;
  if (!p.body.is_object())
    return fail(error_response(
        400, "the body must be a JSON object {\"scenario\": NAME, \"set\": {KEY: VALUE, ...}}; fields: " + allowed));
  for (const auto& [key, value] : p.body.items()) {
    (void)value;
    if (std::find(fields.begin(), fields.end(), key) == fields.end())
      return fail(error_response(400, "unknown field '" + key + "' in the body; allowed: " + allowed, key));
  }
  if (!p.body.contains("scenario") || !p.body["scenario"].is_string())
    return fail(error_response(400, "the body needs \"scenario\": the name of a shipped scenario (GET /api/scenarios)",
                               "scenario"));
  const std::string name = p.body["scenario"].get<std::string>();
  p.shipped = shipped(name);
  if (!p.shipped) {
    std::string names;
    for (const auto& x : shipped_) names += (names.empty() ? "" : ", ") + x.name;
    return fail(error_response(400, "no shipped scenario '" + name + "'; shipped: " + names, "scenario"));
  }
  p.set = p.body.contains("set") ? p.body["set"] : json::object();
  if (!p.set.is_object()) return fail(error_response(400, "\"set\" must be an object {KEY: VALUE, ...}", "set"));
  if (p.set.size() > 500) return fail(error_response(400, "\"set\" holds more than 500 keys", "set"));
  try {
    p.overrides = overrides_of(p.set);
    p.scenario = load_scenario(p.shipped->path, p.overrides);
    // The census city's plan checks what needs the census files (e.g. a community per district).
    p.residents = estimate_residents(p.scenario);
  } catch (const InputError& e) {
    return fail(input_error_response(e));
  }
  return true;
}

HttpResponse Workbench::post_job(const HttpRequest& request, const std::string& kind) {
  std::vector<std::string> fields = {"scenario", "set"};
  if (kind != "run") fields.insert(fields.end(), plan_fields(kind).begin(), plan_fields(kind).end());
  Posted p;
  HttpResponse error;
  if (!read_post(request, "POST /api/" + collection_name(kind), fields, p, error)) return error;
  const Scenario& sc = p.scenario;
  PlanJob job{json::object(), static_cast<double>(sc.run.replicates), p.residents, sc.run.days, "run.days"};
  int replicates = sc.run.replicates;
  std::string replicates_key = "run.replicates";
  if (kind != "run") {
    try {
      job = check_plan_request(kind, p.shipped->path, p.overrides, sc, p.body);
    } catch (const InputError& e) {
      return input_error_response(e);
    }
    replicates = job.request.value("replicates", 1);
    replicates_key = "replicates";
  }
  if (replicates > options_.max_replicates)
    return error_response(422,
                          replicates_key + " " + std::to_string(replicates) + " is more than this server admits (" +
                              std::to_string(options_.max_replicates) + ", --max-replicates)",
                          replicates_key);
  const double resident_days = job.residents * job.days * job.city_runs;
  if (resident_days > options_.max_resident_days) {
    char msg[400];
    if (kind == "run")
      std::snprintf(msg, sizeof msg,
                    "the run would simulate about %.3g resident-days (%.0f residents x %d days x %d replicates); this "
                    "server admits %.3g (--max-resident-days): fewer days, communities or replicates",
                    resident_days, job.residents, job.days, sc.run.replicates, options_.max_resident_days);
    else
      std::snprintf(msg, sizeof msg,
                    "the %s could simulate about %.3g resident-days (%.0f residents x %d days x %.0f city runs "
                    "at most); this server admits %.3g (--max-resident-days): %s, fewer days or communities",
                    kind.c_str(), resident_days, job.residents, job.days, job.city_runs, options_.max_resident_days,
                    kind == "allocation" ? "fewer workers or replicates" : "a smaller population, fewer generations");
    return error_response(422, msg, job.limit_key);
  }
  try {
    check_fits_in_memory(sc);
  } catch (const InputError& e) {
    return error_response(422, e.message(), e.key());
  }
  return enqueue(kind, p, job);
}

HttpResponse Workbench::enqueue(const std::string& kind, const Posted& p, const PlanJob& job) {
  {
    // A place in the queue is reserved before the record is written (outside the lock: an fsync),
    // so concurrent posts cannot overfill it.
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) return error_response(503, "the server is stopping");
    if (queue_.size() + reserved_ >= static_cast<size_t>(options_.max_queued)) {
      HttpResponse r = error_response(429, std::to_string(queue_.size()) + " runs are waiting already (--max-queued " +
                                               std::to_string(options_.max_queued) + "); try again when one has started");
      r.headers.emplace_back("Retry-After", "30");
      return r;
    }
    ++reserved_;
  }
  std::shared_ptr<RunRecord> run;
  try {
    run = store_.create(p.shipped->name, p.set, p.scenario.run.seed, p.scenario.run.days, p.scenario.run.replicates,
                        p.residents, kind, job.request);
  } catch (const RuntimeFailure& e) {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    --reserved_;
    return error_response(500, e.what());
  }
  size_t position = 0;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    --reserved_;
    queue_.push_back(run);
    position = queue_.size();
    queue_cv_.notify_one();
  }
  HttpResponse r =
      json_response(202, json{{"id", run->id}, {"kind", kind}, {"status", "queued"}, {"queue_position", position}});
  r.headers.emplace_back("Location", "/api/" + collection_name(kind) + "/" + run->id);
  return r;
}

HttpResponse Workbench::get_run(const std::string& id, const std::string& what) {
  const std::shared_ptr<RunRecord> run = store_.find(id);
  if (!run) return error_response(404, "no run '" + id + "' (GET /api/runs lists them)");
  if (run->kind != "run")
    return error_response(404, id + " is not a run but " + (run->kind == "allocation" ? "an allocation" : "a front") +
                                   ": GET /api/" + collection_name(run->kind) + "/" + id);
  if (what.empty()) return json_response(200, record_json(run));
  if (run->status != RunStatus::done) {
    const std::string status = run_status_name(run->status);
    return error_response(409, "run " + id + " is " + status +
                                   (run->status == RunStatus::failed ? ": it has no results"
                                                                     : "; its results are ready when its status is done"));
  }
  HttpResponse r;
  if (what == "output.h5") {
    r.file_path = store_.file(id, "output.h5");
    r.content_type = "application/x-hdf5";
    r.download_name = "commsim-" + run->scenario + "-" + id + ".h5";
    return r;
  }
  if (what == "citywide.csv") {
    r = text_response(200, citywide_csv(json::parse(read_whole_file(store_.file(id, "replicates.json")))),
                      "text/csv; charset=utf-8");
    r.download_name = "commsim-" + run->scenario + "-" + id + "-citywide.csv";
    return r;
  }
  const std::string file = what == "summary" ? "summary.json" : what + ".json";
  r.file_path = store_.file(id, file);
  return r;
}

HttpResponse Workbench::get_compare(const std::string& query) {
  std::map<std::string, std::string> params;
  try {
    params = parse_query(query, {"base", "variant"});
  } catch (const std::invalid_argument& e) {
    return error_response(400, e.what());
  }
  for (const char* p : {"base", "variant"})
    if (!params.count(p)) return error_response(400, std::string("/api/compare needs ?base=ID&variant=ID; '") + p + "' is missing", p);
  std::shared_ptr<RunRecord> runs[2];
  const char* names[2] = {"base", "variant"};
  for (int i = 0; i < 2; ++i) {
    runs[i] = store_.find(params[names[i]]);
    if (runs[i] && runs[i]->kind != "run") runs[i] = nullptr;
    if (!runs[i]) return error_response(404, std::string("no run '") + params[names[i]] + "' (" + names[i] + ")", names[i]);
    if (runs[i]->status != RunStatus::done)
      return error_response(409, "run " + runs[i]->id + " (" + names[i] + ") is " + run_status_name(runs[i]->status) +
                                     ": compare needs finished runs", names[i]);
  }
  json out;
  try {
    out = compare_replicates(json::parse(read_whole_file(store_.file(runs[0]->id, "replicates.json"))),
                             json::parse(read_whole_file(store_.file(runs[1]->id, "replicates.json"))));
  } catch (const std::invalid_argument& e) {
    return error_response(409, e.what());
  }
  out["base"] = store_.to_json(*runs[0]);
  out["variant"] = store_.to_json(*runs[1]);
  return json_response(200, out);
}

// ------------------------------------------------------------------ runs
void Workbench::worker_loop() {
  for (;;) {
    std::shared_ptr<RunRecord> run;
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      run = queue_.front();
      queue_.pop_front();
      ++running_;
      active_.push_back(run);
    }
    execute(*run);
    std::lock_guard<std::mutex> lock(queue_mutex_);
    --running_;
    active_.erase(std::find(active_.begin(), active_.end(), run));
  }
}

void Workbench::execute_plan(RunRecord& run) {
  try {
    store_.mark_running(run);
    const Shipped* s = shipped(run.scenario);
    if (!s) throw InputError(SourcePos{}, "scenario", "the scenario '" + run.scenario + "' is no longer shipped");
    std::vector<std::string> overrides = overrides_of(run.set);
    if (options_.run_threads > 0) overrides.push_back("run.threads=" + std::to_string(options_.run_threads));
    json result;
    {
      std::lock_guard<std::mutex> lock(plan_mutex());
      run.phase = 1;
      result = run_plan_job(run.kind, s->path, overrides, run.request, run.set);
    }
    write_file_atomically(store_.file(run.id, "result.json"), result.dump() + "\n");
    store_.mark_done(run);
  } catch (const std::bad_alloc&) {
    store_.mark_failed(run, "out of memory: the " + run.kind + " needs more memory than the machine has free");
  } catch (const std::exception& e) {
    store_.mark_failed(run, e.what());
  }
}

void Workbench::execute(RunRecord& run) {
  if (run.kind != "run") return execute_plan(run);
  try {
    store_.mark_running(run);
    const Shipped* s = shipped(run.scenario);
    if (!s) throw InputError(SourcePos{}, "scenario", "the scenario '" + run.scenario + "' is no longer shipped");
    const std::vector<std::string> overrides = overrides_of(run.set);
    const Scenario sc = load_scenario(s->path, overrides);
    RunOptions options;
    options.threads = options_.run_threads > 0 ? options_.run_threads
                                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    // The simulation is most of a run; writing the files takes the last few per cent.
    options.progress = [&run](double f) { run.progress = 0.95 * f; };
    std::vector<RunResult> results = run_scenario(sc, options);
    run.phase = 2;
    run.progress = 0.95;
    const std::string h5 = store_.file(run.id, "output.h5");
    {
      std::lock_guard<std::mutex> lock(hdf5_mutex());
      Hdf5Output output(h5, true);
      write_run_output(output, sc, results, command_line_of(s->path, overrides));
    }
    write_file_atomically(store_.file(run.id, "summary.json"), summary_json(sc, results));
    results.clear();
    results.shrink_to_fit();
    {
      std::lock_guard<std::mutex> lock(hdf5_mutex());
      write_derived_files(h5, store_.run_dir(run.id), sc.run.replicates);
    }
    store_.mark_done(run);
  } catch (const std::bad_alloc&) {
    store_.mark_failed(run, "out of memory: the run needs more memory than the machine has free");
  } catch (const std::exception& e) {
    store_.mark_failed(run, e.what());
  }
}

}  // namespace commsim::serve

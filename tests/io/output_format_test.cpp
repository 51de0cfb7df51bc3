// docs/output-format.md against the results schema and against real files: the page is generated
// from the schema (drift test), and every dataset and attribute a run file, a study file, a curve
// and a headroom file hold is listed in the page's index — and every listed object is held by one
// of them (a grid study, a morris and a sobol study between them hold every study object).
#include <hdf5.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/curve/curve.hpp"
#include "sim/study/runner.hpp"
#include "sim/reference/output_format.hpp"
#include "sim/findings/findings.hpp"
#include "sim/plan/pareto.hpp"
#include "sim/uncertainty/uncertainty.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace commsim;
using commsim::test::read_text;

namespace {

// Every dataset of a file as its path, and every attribute as `object@name`, with run numbers
// replaced by {run} and the attributes every dataset carries by {dataset}@name.
std::set<std::string> objects_in(const std::string& path) {
  struct Walk {
    std::set<std::string> found;
    static std::string pattern(std::string p) {
      static const std::regex run_number("/runs/[0-9]{4}");
      return std::regex_replace(p, run_number, "/runs/{run}");
    }
    static herr_t attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
      auto* ctx = static_cast<std::pair<Walk*, std::string>*>(data);
      ctx->first->found.insert(ctx->second + "@" + name);
      return 0;
    }
    static herr_t object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
      auto* walk = static_cast<Walk*>(data);
      const std::string p = std::string(name) == "." ? "/" : "/" + std::string(name);
      const bool dataset = info->type == H5O_TYPE_DATASET;
      if (dataset) walk->found.insert(pattern(p));
      std::pair<Walk*, std::string> ctx{walk, pattern(p)};
      if (dataset) ctx.second.assign("{dataset}");
      hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
      hsize_t at = 0;
      H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &at, attribute, &ctx);
      H5Oclose(obj);
      return 0;
    }
  } walk;
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, Walk::object, &walk);
  H5Fclose(file);
  return walk.found;
}

// The index of docs/output-format.md: the object column of every row of "## Index of objects".
std::set<std::string> documented_in(const std::string& markdown) {
  std::set<std::string> out;
  const size_t start = markdown.find("## Index of objects");
  REQUIRE(start != std::string::npos);
  std::istringstream lines(markdown.substr(start));
  std::string line;
  static const std::regex row(R"(^\| `([^`]+)` \| (dataset|attribute) \|)");
  std::smatch m;
  while (std::getline(lines, line))
    if (std::regex_search(line, m, row)) out.insert(m[1]);
  return out;
}

}  // namespace

TEST_CASE("docs/output-format.md is generated from the results schema", "[output-format][docs]") {
  const std::string generated = output_format_markdown();
  const std::string committed = read_text(test::source_path("docs/output-format.md"));
  if (committed != generated && std::getenv("COMMSIM_WRITE_DOCS"))
    std::ofstream(test::source_path("docs/output-format.md")) << generated;
  CHECK(committed == generated);
  // The generator's own list and the page's index agree.
  std::set<std::string> listed;
  for (const auto& o : documented_objects()) listed.insert(o.path);
  CHECK(listed == documented_in(generated));
}

TEST_CASE("output-format: files hold exactly the objects docs/output-format.md lists", "[output-format][io][slow]") {  // 76 s under the sanitizers
  char dir_template[] = "/tmp/commsim-output-format-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;

  // A run file with two replicates and daily records, written as `commsim run` writes it.
  const Scenario sc = test::small_city({"run.days=7", "run.replicates=2", "run.daily_output=true"});
  const std::string run_path = dir + "/run.h5";
  {
    Hdf5Output out(run_path, false);
    const RunFileFacts facts{2, 1, 0.5};  // as under mpirun -np 2 --threads 1
    write_run_output(out, sc, run_scenario(sc), "commsim run", &facts);
  }
  // A study file.
  const StudyPlan plan = plan_study(test::source_path("tests/data/study-small.yaml"), {"run.days=7"});
  StudyRunOptions options;
  options.output = dir + "/study.h5";
  run_study(plan, options);

  // A curve and a headroom file (their /curve and /headroom groups; docs/curves.md).
  const std::vector<std::string> tiny = {"city.generator.communities=2", "run.days=7", "run.daily_output=false"};
  const auto output_to = [](const std::string& path) {
    StudyRunOptions options;
    options.output = path;
    return options;
  };
  const std::string small_city = test::source_path("tests/data/good/small-city.yaml");
  run_curve(CurveRequest{small_city, tiny, "staffing.rules.community_worker.per_10k", 10, 20, 10, 2},
            output_to(dir + "/curve.h5"));
  HeadroomRequest headroom;
  headroom.scenario = small_city;
  headroom.overrides = tiny;
  headroom.target = headroom.tolerance = 0.5;
  run_headroom(headroom, output_to(dir + "/headroom.h5"));
  // An uncertainty file (commsim run --uncertainty: /uncertainty; docs/sensitivity.md), on the
  // calibration city, whose values lie inside the parameter registry's ranges.
  UncertaintyRequest uncertainty;
  uncertainty.scenario = test::source_path("tests/data/calibration-city.yaml");
  uncertainty.overrides = tiny;
  uncertainty.samples = 2;
  run_uncertainty(uncertainty, output_to(dir + "/uncertainty.h5"));
  // A findings file (commsim findings: /findings; docs/findings.md), two draws of short curves.
  FindingsRequest findings;
  findings.scenario = uncertainty.scenario;
  findings.overrides = tiny;
  findings.draws = 2;
  findings.staffing_points = {14, 18};
  findings.size_points = {2000, 4000};
  run_findings(findings, output_to(dir + "/findings.h5"));
  // A pareto file (commsim pareto -o: /pareto; docs/planning.md), one generation of 8 points.
  ParetoRequest pareto;
  pareto.scenario = small_city;
  pareto.overrides = tiny;
  pareto.levers = {parse_lever("staffing.rules.community_worker.per_10k=10:20", small_city, tiny)};
  pareto.objectives = {"cost_total_yuan", "unmet_hours"};
  pareto.generations = 1;
  Provenance pareto_provenance{sc.name, sc.resolved_yaml, small_city, sc.run.seed, "test", "test", "commsim pareto"};
  pareto_provenance.kind = "pareto";
  write_pareto_file(dir + "/pareto.h5", false, pareto_provenance, pareto, pareto_front(pareto));

  std::set<std::string> written = objects_in(run_path);
  // A morris and a sobol study (the /sensitivity group, issue 17).
  for (const std::string design : {"morris", "sobol"}) {
    const std::string path = dir + "/" + design + ".h5";
    run_study(plan_study(test::source_path("tests/data/study-" + design + ".yaml"), {"run.days=7"}), output_to(path));
    for (const auto& o : objects_in(path)) written.insert(o);
  }
  for (const auto& path : {options.output, dir + "/curve.h5", dir + "/headroom.h5", dir + "/uncertainty.h5", dir + "/findings.h5",
                                 dir + "/pareto.h5"})
    for (const auto& o : objects_in(path)) written.insert(o);
  const std::set<std::string> documented = documented_in(read_text(test::source_path("docs/output-format.md")));
  for (const auto& o : written) {
    INFO("written but not in docs/output-format.md: " << o);
    CHECK(documented.count(o) == 1);
  }
  for (const auto& o : documented) {
    INFO("in docs/output-format.md but in neither file: " << o);
    CHECK(written.count(o) == 1);
  }
  fs::remove_all(dir);
}

TEST_CASE("output_fields.csv documents exactly the tables the code makes", "[output-format][docs]") {
  std::string code;
  for (const auto& e : fs::recursive_directory_iterator(test::source_path("sim")))
    if (e.path().extension() == ".cpp") code += read_text(e.path().string());
  std::istringstream rows(read_text(test::source_path("sim/metrics/output_fields.csv")));
  std::string line;
  std::getline(rows, line);
  REQUIRE(line.rfind("table,field,", 0) == 0);
  std::set<std::string> ids;
  while (std::getline(rows, line)) ids.insert(line.substr(0, line.find(',')));
  REQUIRE(ids.size() > 40);
  for (const auto& id : ids) {
    INFO(id);
    CHECK(std::regex_search(code, std::regex("make_table<\\w+>\\(\\s*\"" + id + "\"")));
  }
  // Every table the code makes has its rows in the file (document_table throws otherwise).
  CHECK_NOTHROW(output_format_markdown());
}

TEST_CASE("a table whose fields differ from output_fields.csv is refused, naming the file and both fields",
          "[output-format][docs]") {
  struct Row {
    double replicate = 0, bogus = 0;
  };
  CHECK_THROWS_WITH(make_table<Row>("run", "", {}, {field("replicate", &Row::replicate), field("bogus", &Row::bogus)}),
                    Catch::Contains("sim/metrics/output_fields.csv") && Catch::Contains("'seed' in the file") &&
                        Catch::Contains("'bogus' in the code"));
  CHECK_THROWS_WITH(make_table<Row>("no_such_table", "", {}, {}), Catch::Contains("no table 'no_such_table'"));
}

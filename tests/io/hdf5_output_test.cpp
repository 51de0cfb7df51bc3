// HDF5 output: layout, provenance, atomic write, overwrite rules, truncation detection, histogram
// known answers, and reproducibility of the bytes written.
#include <hdf5.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/metrics/results.hpp"
#include "tests/skip.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace commsim;
using commsim::test::read_text;
using commsim::test::TempDir;

namespace {

// 2 communities, 3 days, 2 services, 2 roles, 2 facility uses, daily records on.
RunResult make_run() {
  RunResult run;
  run.replicate = 3;
  run.seed = 0xDEADBEEFCAFEF00Dull;
  run.days = 3;
  run.service_names = {"elder_visit", "day_care"};
  run.role_names = {"community_worker", "carer"};
  run.facility_use_names = {"day_care", "canteen"};
  for (int c = 0; c < 2; ++c) {
    CommunityInfo info;
    info.name = c == 0 ? "Xinhua" : "Hepingli";
    info.district = c == 0 ? "Dongcheng" : "Miyun";
    info.county = c == 1;
    info.households = 3500 + c;
    info.residents = 10000 + 7 * c;
    info.area_km2 = 1.5 + c;
    info.x_m = 100.0 * c;
    info.y_m = -50.0 * c;
    info.is_new = c == 0;
    info.staff = {18 + c, 4 + c};
    info.committee_residents = 7;
    info.committee_party = 5;
    info.committee_total = 9;
    info.required_community_workers = 18;
    info.facility_indoor_m2 = 1050 + c;
    info.places = {30 + c, 20 + c};
    info.access_share = 0.8 + 0.1 * c;
    info.pay_city_yuan = 1e6 * (c + 1);
    info.workers_ok = c == 0;
    if (c == 1) info.origin = {"Old A", "Old B"};
    run.communities.push_back(info);
  }
  for (int c = 0; c < 2; ++c)
    for (int s = 0; s < 2; ++s) {
      ServiceTotals t;
      t.demand = 100 + 10 * c + s;
      t.served = 90 + 10 * c + s;
      t.served_in_time = 80 + 10 * c + s;
      t.unmet = 5;
      t.wait_sum_min = 1234.5 + c;
      t.p90_wait_min = 42.0 + s;
      run.service_totals.push_back(t);
    }
  for (int c = 0; c < 2; ++c)
    for (int r = 0; r < 2; ++r) {
      RoleTotals t;
      t.available_min = 1000.0 * (c + 1) + r;
      t.busy_min = 500.0 + r;
      run.role_totals.push_back(t);
    }
  run.wait_hist.resize(2);
  run.working_wait_hist.resize(2);
  for (int i = 0; i < 100; ++i) run.wait_hist[0].add(i * 0.5);
  run.wait_hist[1].add(100000.0);
  run.daily.resize(3, 2, 2, 2, true);
  for (int c = 0; c < 2; ++c)
    for (int d = 0; d < 3; ++d) {
      for (int s = 0; s < 2; ++s) {
        const size_t i = run.daily.si(c, d, s);
        run.daily.demand[i] = static_cast<uint32_t>(100 * c + 10 * d + s);
        run.daily.served[i] = static_cast<uint32_t>(100 * c + 10 * d);
        run.daily.wait_mean_min[i] = 0.5f * static_cast<float>(i);
      }
      for (int r = 0; r < 2; ++r) run.daily.available_min[run.daily.ri(c, d, r)] = 480.0f + static_cast<float>(r);
    }
  for (int s = 0; s < 2; ++s) {
    CitywideService cw;
    cw.name = run.service_names[static_cast<size_t>(s)];
    cw.kind = s == 0 ? "episodic" : "enrolment";
    cw.demand = 210 + 2 * s;
    cw.served = 190 + s;
    cw.served_in_time = 170 + s;
    cw.unmet = 10;
    cw.coverage = static_cast<double>(cw.served_in_time) / static_cast<double>(cw.demand);
    cw.mean_wait_min = 12.25 + s;
    cw.p90_wait_min = 40.5 + s;
    run.citywide.push_back(cw);
  }
  for (int r = 0; r < 2; ++r) {
    CitywideRole role;
    role.name = run.role_names[static_cast<size_t>(r)];
    role.staff = 37 + r;
    role.utilisation = 0.75;
    run.citywide_roles.push_back(role);
  }
  run.residents = 20007;
  run.households = 7001;
  run.requests = 424;
  run.cost_total_yuan = 3.5e6;
  run.access_share = 0.85;
  run.years = {YearRecord{20007.0, {212, 213}}};
  test::add_household_type_tables(run);
  return run;
}

Provenance make_provenance() {
  Provenance p;
  p.scenario_name = "tiny";
  p.scenario_yaml = "name: tiny\nrun:\n  days: 3\n";
  p.scenario_file = "scenarios/tiny.yaml";
  p.seed = 0xDEADBEEFCAFEF00Dull;
  p.version = "0.1.0";
  p.git_commit = "abcdef123456";
  p.command_line = "commsim run scenarios/tiny.yaml -o out.h5";
  return p;
}

void write_file(const std::string& path, const RunResult& run, bool force = false) {
  Hdf5Output out(path, force);
  out.write_provenance(make_provenance());
  out.write_run("/runs/r0000", run);
  out.commit();
}

// make_run() with a year of random (incompressible) daily records: about 30 kB a run in the file.
RunResult incompressible_run() {
  RunResult run = make_run();
  run.daily.resize(365, 2, 2, 2, true);
  std::mt19937 rng(7);
  for (auto& v : run.daily.demand) v = static_cast<uint32_t>(rng());
  for (auto& v : run.daily.wait_mean_min) v = static_cast<float>(rng());
  for (auto& v : run.daily.wait_p90_min) v = static_cast<float>(rng());
  return run;
}

// A scratch directory holding out.h5, a complete file of make_run(), and its bytes.
struct WrittenFile {
  TempDir dir;
  RunResult run = make_run();
  std::string path = dir.file("out.h5");
  std::string before;
  WrittenFile() {
    write_file(path, run);
    before = read_text(path);
  }
};

// ---- raw HDF5 helpers (independent of the writer's code)

struct RawFile {
  hid_t id;
  explicit RawFile(const std::string& path) : id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~RawFile() { H5Fclose(id); }
};

std::vector<hsize_t> shape_of(hid_t file, const std::string& name) {
  hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  REQUIRE(d >= 0);
  hid_t s = H5Dget_space(d);
  std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(s)));
  H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  H5Sclose(s);
  H5Dclose(d);
  return dims;
}

bool is_string_dataset(hid_t file, const std::string& name) {
  hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  REQUIRE(d >= 0);
  hid_t t = H5Dget_type(d);
  const bool is_string = H5Tget_class(t) == H5T_STRING;
  H5Tclose(t);
  H5Dclose(d);
  return is_string;
}

template <class T>
std::vector<T> read_all(hid_t file, const std::string& name, hid_t mem_type) {
  hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  REQUIRE(d >= 0);
  hid_t s = H5Dget_space(d);
  std::vector<T> out(static_cast<size_t>(H5Sget_simple_extent_npoints(s)));
  REQUIRE(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  H5Sclose(s);
  H5Dclose(d);
  return out;
}

std::string string_attr(hid_t obj, const std::string& object_name, const char* attr_name) {
  hid_t a = H5Aopen_by_name(obj, object_name.c_str(), attr_name, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(a >= 0);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  char* value = nullptr;
  REQUIRE(H5Aread(a, t, &value) >= 0);
  std::string out = value;
  H5free_memory(value);
  H5Tclose(t);
  H5Aclose(a);
  return out;
}

template <class T>
T scalar_attr(hid_t obj, const std::string& object_name, const char* attr_name, hid_t mem_type) {
  hid_t a = H5Aopen_by_name(obj, object_name.c_str(), attr_name, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(a >= 0);
  T value{};
  REQUIRE(H5Aread(a, mem_type, &value) >= 0);
  H5Aclose(a);
  return value;
}

// Every dataset below `group` (recursively), by full path.
std::vector<std::string> all_datasets(hid_t file, const std::string& group) {
  std::vector<std::string> names;
  auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  H5Ovisit_by_name(file, group.c_str(), H5_INDEX_NAME, H5_ITER_INC, visit, &names, H5P_DEFAULT);
  for (auto& n : names) n = group + "/" + n;
  return names;
}

}  // namespace

TEST_CASE("WaitHistogram bins and edges", "[hdf5][metrics]") {
  CHECK(WaitHistogram::kBins == 2197);
  CHECK(WaitHistogram::bin(-3.0) == 0);
  CHECK(WaitHistogram::bin(0.0) == 0);
  CHECK(WaitHistogram::bin(0.24) == 0);
  CHECK(WaitHistogram::bin(0.25) == 1);
  CHECK(WaitHistogram::bin(59.99) == 239);
  CHECK(WaitHistogram::bin(60.0) == 240);
  CHECK(WaitHistogram::bin(64.9) == 240);
  CHECK(WaitHistogram::bin(65.0) == 241);
  CHECK(WaitHistogram::bin(2879.9) == 803);
  CHECK(WaitHistogram::bin(2880.0) == 804);
  CHECK(WaitHistogram::bin(86399.0) == 2195);
  CHECK(WaitHistogram::bin(86400.0) == 2196);
  CHECK(WaitHistogram::bin(1e9) == 2196);
  CHECK(WaitHistogram::lower_edge(0) == 0.0);
  CHECK(WaitHistogram::lower_edge(240) == 60.0);
  CHECK(WaitHistogram::upper_edge(239) == 60.0);
  CHECK(WaitHistogram::lower_edge(804) == 2880.0);
  CHECK(WaitHistogram::upper_edge(2195) == 86400.0);
  CHECK(WaitHistogram::lower_edge(2196) == 86400.0);
  CHECK(std::isinf(WaitHistogram::upper_edge(2196)));
  // Every bin's edges contain the waits it receives.
  for (int b = 0; b < WaitHistogram::kBins - 1; ++b) {
    const double mid = 0.5 * (WaitHistogram::lower_edge(b) + WaitHistogram::upper_edge(b));
    REQUIRE(WaitHistogram::bin(mid) == b);
    REQUIRE(WaitHistogram::bin(WaitHistogram::lower_edge(b)) == b);
  }
}

TEST_CASE("WaitHistogram quantiles and merge", "[hdf5][metrics]") {
  WaitHistogram empty;
  CHECK(empty.total() == 0);
  CHECK(empty.quantile(0.5) == 0.0);

  WaitHistogram uniform;  // 1000 waits evenly spread on [0, 30)
  for (int i = 0; i < 1000; ++i) uniform.add(30.0 * (i + 0.5) / 1000.0);
  CHECK(uniform.total() == 1000);
  CHECK(uniform.quantile(0.5) == Approx(15.0).margin(0.25));
  CHECK(uniform.quantile(0.9) == Approx(27.0).margin(0.25));
  CHECK(uniform.quantile(0.0) == 0.0);
  CHECK(uniform.quantile(1.0) == Approx(30.0).margin(0.25));

  WaitHistogram single;  // interpolation inside one 5-minute bin
  for (int i = 0; i < 4; ++i) single.add(62.0);
  CHECK(single.quantile(0.5) == Approx(62.5));
  CHECK(single.quantile(0.25) == Approx(61.25));

  WaitHistogram overflow;
  overflow.add(1e6);
  CHECK(overflow.quantile(0.5) == 86400.0);

  WaitHistogram a, b;
  a.add(1.0);
  a.add(100.0);
  b.add(1.1);
  b.add(-5.0);
  a.merge(b);
  CHECK(a.total() == 4);
  CHECK(a.counts[static_cast<size_t>(WaitHistogram::bin(1.0))] == 2);
  CHECK(a.counts[0] == 1);
}

TEST_CASE("DailyRecords::resize", "[hdf5][metrics]") {
  DailyRecords d;
  d.resize(3, 2, 4, 5, true);
  CHECK(d.demand.size() == 24);
  CHECK(d.wait_max_min.size() == 24);
  CHECK(d.overtime_min.size() == 30);
  CHECK(d.si(1, 2, 3) == 23);
  CHECK(d.ri(1, 2, 4) == 29);
  d.resize(3, 2, 4, 5, false);
  CHECK(d.days == 3);
  CHECK(d.communities == 2);
  CHECK(d.services == 4);
  CHECK(d.roles == 5);
  CHECK(d.demand.empty());
  CHECK(d.wait_p90_min.empty());
  CHECK(d.busy_min.empty());
}

TEST_CASE("HDF5 output: layout values units and provenance", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  const RunResult run = make_run();
  write_file(path, run);
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));
  CHECK(is_complete_output(path));
  // COMMSIM_KEEP_EXAMPLE_H5=/some/file.h5 keeps a copy (docs/output-format.md's snippet runs on it).
  if (const char* keep = std::getenv("COMMSIM_KEEP_EXAMPLE_H5"))
    fs::copy_file(path, keep, fs::copy_options::overwrite_existing);

  // Readers.
  const RunResult back = read_run(path, "/runs/r0000");
  REQUIRE(back.service_names == std::vector<std::string>{"elder_visit", "day_care"});
  REQUIRE(back.citywide.size() == 2);
  CHECK(back.citywide[0].demand == 210);
  CHECK(back.citywide[1].demand == 212);
  CHECK(back.citywide[1].served == 191);
  CHECK(back.citywide[0].coverage == run.citywide[0].coverage);
  CHECK(back.citywide[1].mean_wait_min == 13.25);
  CHECK(back.citywide[1].p90_wait_min == 41.5);
  // The reader is the writer's inverse on every column of the results schema.
  const std::vector<std::string> diffs = compare_runs(run, back);
  INFO((diffs.empty() ? std::string() : diffs.front()));
  CHECK(diffs.empty());
  CHECK(read_root_string_attribute(path, "format") == "commsim-output");
  CHECK(read_root_string_attribute(path, "scenario_yaml") == make_provenance().scenario_yaml);
  CHECK(read_root_string_attribute(path, "git_commit") == "abcdef123456");
  CHECK(read_root_string_attribute(path, "command_line") == make_provenance().command_line);
  CHECK_THROWS_AS(read_root_string_attribute(path, "no_such_attribute"), RuntimeFailure);

  // Raw HDF5.
  RawFile f(path);
  CHECK(scalar_attr<int32_t>(f.id, "/", "complete", H5T_NATIVE_INT32) == 1);
  CHECK(scalar_attr<int32_t>(f.id, "/", "format_version", H5T_NATIVE_INT32) == 1);
  CHECK(scalar_attr<uint64_t>(f.id, "/", "seed", H5T_NATIVE_UINT64) == 0xDEADBEEFCAFEF00Dull);
  CHECK(string_attr(f.id, "/", "scenario_name") == "tiny");
  CHECK(string_attr(f.id, "/", "scenario_file") == "scenarios/tiny.yaml");
  CHECK(string_attr(f.id, "/", "version") == "0.1.0");

  const std::string g = "/runs/r0000";
  CHECK(scalar_attr<int32_t>(f.id, g, "replicate", H5T_NATIVE_INT32) == 3);
  CHECK(scalar_attr<uint64_t>(f.id, g, "seed", H5T_NATIVE_UINT64) == run.seed);
  CHECK(scalar_attr<int32_t>(f.id, g, "days", H5T_NATIVE_INT32) == 3);
  CHECK(scalar_attr<int64_t>(f.id, g, "residents", H5T_NATIVE_INT64) == 20007);
  CHECK(scalar_attr<uint64_t>(f.id, g, "requests", H5T_NATIVE_UINT64) == 424);
  CHECK(scalar_attr<double>(f.id, g, "cost_total_yuan", H5T_NATIVE_DOUBLE) == 3.5e6);
  CHECK(scalar_attr<double>(f.id, g, "access_share", H5T_NATIVE_DOUBLE) == 0.85);

  using Dims = std::vector<hsize_t>;
  CHECK(shape_of(f.id, g + "/service_names") == Dims{2});
  CHECK(shape_of(f.id, g + "/communities/name") == Dims{2});
  CHECK(shape_of(f.id, g + "/communities/households") == Dims{2});
  CHECK(shape_of(f.id, g + "/communities/staff") == Dims{2, 2});
  CHECK(shape_of(f.id, g + "/communities/places") == Dims{2, 2});
  CHECK(shape_of(f.id, g + "/communities/origin") == Dims{2});
  CHECK(shape_of(f.id, g + "/communities/origin_offset") == Dims{3});
  CHECK(shape_of(f.id, g + "/totals/demand") == Dims{2, 2});
  CHECK(shape_of(f.id, g + "/totals/coverage") == Dims{2, 2});
  CHECK(shape_of(f.id, g + "/totals/reserved_min") == Dims{2, 2});
  CHECK(shape_of(f.id, g + "/citywide/services/gini") == Dims{2});
  CHECK(shape_of(f.id, g + "/citywide/roles/utilisation") == Dims{2});
  CHECK(shape_of(f.id, g + "/daily/demand") == Dims{2, 3, 2});
  CHECK(shape_of(f.id, g + "/daily/wait_max_min") == Dims{2, 3, 2});
  CHECK(shape_of(f.id, g + "/daily/overtime_min") == Dims{2, 3, 2});
  CHECK(shape_of(f.id, g + "/wait_histogram") == Dims{2, static_cast<hsize_t>(WaitHistogram::kBins)});
  CHECK(shape_of(f.id, g + "/wait_histogram_edges") == Dims{static_cast<hsize_t>(WaitHistogram::kBins) + 1});
  CHECK(shape_of(f.id, g + "/demand_by_year") == Dims{1, 2});
  CHECK(shape_of(f.id, g + "/residents_by_year") == Dims{1});

  // Values, in the documented index order.
  const auto households = read_all<int64_t>(f.id, g + "/communities/households", H5T_NATIVE_INT64);
  CHECK(households == std::vector<int64_t>{3500, 3501});
  const auto county = read_all<uint8_t>(f.id, g + "/communities/county", H5T_NATIVE_UINT8);
  CHECK(county == std::vector<uint8_t>{0, 1});
  const auto staff = read_all<int32_t>(f.id, g + "/communities/staff", H5T_NATIVE_INT32);
  CHECK(staff == std::vector<int32_t>{18, 4, 19, 5});
  const auto offsets = read_all<uint64_t>(f.id, g + "/communities/origin_offset", H5T_NATIVE_UINT64);
  CHECK(offsets == std::vector<uint64_t>{0, 0, 2});
  const auto demand = read_all<uint64_t>(f.id, g + "/totals/demand", H5T_NATIVE_UINT64);
  CHECK(demand == std::vector<uint64_t>{100, 101, 110, 111});
  const auto coverage = read_all<double>(f.id, g + "/totals/coverage", H5T_NATIVE_DOUBLE);
  CHECK(coverage[3] == Approx(91.0 / 111.0));
  const auto daily_demand = read_all<uint32_t>(f.id, g + "/daily/demand", H5T_NATIVE_UINT32);
  REQUIRE(daily_demand.size() == 12);
  CHECK(daily_demand[run.daily.si(1, 2, 1)] == 121);  // community 1, day 2, service 1
  CHECK(daily_demand == run.daily.demand);
  const auto daily_wait = read_all<float>(f.id, g + "/daily/wait_mean_min", H5T_NATIVE_FLOAT);
  CHECK(daily_wait == run.daily.wait_mean_min);
  const auto daily_avail = read_all<float>(f.id, g + "/daily/available_min", H5T_NATIVE_FLOAT);
  CHECK(daily_avail == run.daily.available_min);
  const auto hist = read_all<uint64_t>(f.id, g + "/wait_histogram", H5T_NATIVE_UINT64);
  CHECK(hist[static_cast<size_t>(WaitHistogram::bin(10.0))] == 1);
  CHECK(hist[static_cast<size_t>(WaitHistogram::kBins + WaitHistogram::kBins - 1)] == 1);  // service 1 overflow
  const auto edges = read_all<double>(f.id, g + "/wait_histogram_edges", H5T_NATIVE_DOUBLE);
  CHECK(edges[240] == 60.0);
  CHECK(std::isinf(edges.back()));

  // Daily datasets are chunked and compressed.
  {
    hid_t d = H5Dopen2(f.id, (g + "/daily/demand").c_str(), H5P_DEFAULT);
    hid_t plist = H5Dget_create_plist(d);
    CHECK(H5Pget_layout(plist) == H5D_CHUNKED);
    hsize_t chunk[3] = {0, 0, 0};
    CHECK(H5Pget_chunk(plist, 3, chunk) == 3);
    CHECK(chunk[0] == 1);
    CHECK(chunk[1] == 3);
    CHECK(chunk[2] == 2);
    unsigned flags = 0, filter_config = 0, level = 0;
    size_t nelmts = 1;
    char filter_name[64] = {0};
    const bool has_deflate = H5Pget_filter_by_id2(plist, H5Z_FILTER_DEFLATE, &flags, &nelmts, &level,
                                                  sizeof filter_name, filter_name, &filter_config) >= 0;
    CHECK(level == 1);
    CHECK(has_deflate);
    H5Pclose(plist);
    H5Dclose(d);
  }

  // Every numeric dataset has units and a description; string datasets a description.
  const std::vector<std::string> allowed_units{"households", "residents", "requests", "minutes", "yuan", "m2",
                                               "share",      "person-days", "1",     "km2",     "m",  "hours",
                                               "communities", "units", "unit-days", "place-days", "working minutes", "hours/year"};
  const auto names = all_datasets(f.id, g);
  CHECK(names.size() > 80);
  for (const auto& name : names) {
    INFO(name);
    const bool is_string = is_string_dataset(f.id, name);
    CHECK(H5Aexists_by_name(f.id, name.c_str(), "description", H5P_DEFAULT) > 0);
    if (!is_string) {
      REQUIRE(H5Aexists_by_name(f.id, name.c_str(), "units", H5P_DEFAULT) > 0);
      const std::string units = string_attr(f.id, name, "units");
      CHECK(std::find(allowed_units.begin(), allowed_units.end(), units) != allowed_units.end());
    }
  }
  CHECK(string_attr(f.id, g + "/daily/wait_p90_min", "units") == "minutes");
  CHECK(string_attr(f.id, g + "/communities/pay_city_yuan", "units") == "yuan");
  CHECK(string_attr(f.id, g + "/totals/coverage", "units") == "share");
}

TEST_CASE("HDF5 output: no daily group when daily records are off", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("nodaily.h5");
  RunResult run = make_run();
  run.daily.resize(3, 2, 2, 2, false);
  write_file(path, run);
  RawFile f(path);
  CHECK(H5Lexists(f.id, "/runs/r0000/daily", H5P_DEFAULT) == 0);
  CHECK(H5Lexists(f.id, "/runs/r0000/totals", H5P_DEFAULT) > 0);
}

TEST_CASE("HDF5 output: inconsistent run result is refused", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("bad.h5");
  RunResult run = make_run();
  run.service_totals.pop_back();
  Hdf5Output out(path, false);
  CHECK_THROWS_AS(out.write_run("/runs/r0000", run), RuntimeFailure);
}

TEST_CASE("HDF5 output: overwrite rules and bad directories", "[hdf5]") {
  const WrittenFile w;
  try {
    Hdf5Output out(w.path, false);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.key() == "output");
    CHECK(e.message() == w.path + " exists; use --force to overwrite");
  }
  CHECK(read_text(w.path) == w.before);

  RunResult changed = w.run;
  changed.citywide[0].demand = 999;
  write_file(w.path, changed, /*force=*/true);
  CHECK(read_run(w.path, "/runs/r0000").citywide[0].demand == 999);

  // A stale partial file from a crash is replaced.
  const std::string other = w.dir.file("other.h5");
  { std::ofstream(other + ".partial") << "garbage from a crash"; }
  write_file(other, w.run);
  CHECK(is_complete_output(other));
  CHECK_FALSE(fs::exists(other + ".partial"));

  const std::string nowhere = w.dir.file("no/such/dir/out.h5");
  try {
    Hdf5Output out(nowhere, true);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.key() == "output");
    CHECK(std::string(e.what()).find(nowhere) != std::string::npos);
  }
  CHECK_THROWS_AS(Hdf5Output(w.dir.path().string(), true), InputError);  // target is a directory
}

TEST_CASE("HDF5 output: destroyed without commit removes the partial file only", "[hdf5]") {
  const WrittenFile w;
  {
    Hdf5Output out(w.path, true);
    out.write_provenance(make_provenance());
    out.write_run("/runs/r0000", w.run);
    CHECK(fs::exists(out.partial_path()));
    CHECK_FALSE(is_complete_output(out.partial_path()));
  }
  CHECK_FALSE(fs::exists(w.path + ".partial"));
  CHECK(read_text(w.path) == w.before);
  CHECK(is_complete_output(w.path));
}

namespace {

// Not a complete output, and reading it is a RuntimeFailure naming the file.
void check_refused(const std::string& file) {
  INFO(file);
  CHECK_FALSE(is_complete_output(file));
  try {
    read_run(file, "/runs/r0000");
    FAIL("expected RuntimeFailure");
  } catch (const RuntimeFailure& e) {
    CHECK(std::string(e.what()).find(file) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("HDF5 output: truncated partial and foreign files are detected", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  write_file(path, make_run());

  const std::string cut = dir.file("cut.h5");
  fs::copy_file(path, cut);
  fs::resize_file(cut, fs::file_size(path) / 2);
  check_refused(cut);

  const std::string text = dir.file("text.h5");
  { std::ofstream(text) << "not an HDF5 file\n"; }
  check_refused(text);
  check_refused(dir.file("missing.h5"));
  const std::string empty = dir.file("empty.h5");
  { std::ofstream touch(empty); }
  check_refused(empty);

  // What a crash before commit leaves: a copy of the partial file while the writer is open.
  const std::string crashed = dir.file("crashed.h5");
  {
    Hdf5Output out(dir.file("keep.h5"), false);
    out.write_provenance(make_provenance());
    out.write_run("/runs/r0000", make_run());
    fs::copy_file(out.partial_path(), crashed);
  }
  check_refused(crashed);

  // A valid HDF5 file without complete = 1.
  const std::string unfinished = dir.file("unfinished.h5");
  {
    hid_t fid = H5Fcreate(unfinished.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(fid >= 0);
    H5Fclose(fid);
  }
  check_refused(unfinished);
}

TEST_CASE("HDF5 output: same results give identical files", "[hdf5]") {
  TempDir dir;
  const RunResult run = make_run();
  write_file(dir.file("a.h5"), run);
  write_file(dir.file("b.h5"), run);
  RawFile a(dir.file("a.h5")), b(dir.file("b.h5"));
  const auto names = all_datasets(a.id, "/runs/r0000");
  REQUIRE(names == all_datasets(b.id, "/runs/r0000"));
  for (const auto& name : names) {
    INFO(name);
    if (is_string_dataset(a.id, name)) continue;
    // Compare as raw bytes in the file's own type.
    CHECK(read_all<double>(a.id, name, H5T_NATIVE_DOUBLE) == read_all<double>(b.id, name, H5T_NATIVE_DOUBLE));
  }
  // No timestamps are stored, so the files are byte-identical.
  CHECK(read_text(dir.file("a.h5")) == read_text(dir.file("b.h5")));
}

// Fault injection: this definition of pwrite() takes the place of libc's for libhdf5 (the
// executable's symbol wins), and makes writes past `g_disk_bytes` into `g_full_disk_file` fail with
// ENOSPC, as a full disk does. Everything else goes to the system call.
namespace {
std::string g_full_disk_file;
off_t g_disk_bytes = 0;
bool writes_to_full_disk(int fd, size_t count, off_t offset) {
  if (g_full_disk_file.empty() || offset + static_cast<off_t>(count) <= g_disk_bytes) return false;
  char target[4096];
  const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
  return n > 0 && std::string(target, static_cast<size_t>(n)) == g_full_disk_file;
}
}  // namespace

extern "C" ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (writes_to_full_disk(fd, count, offset)) {
    errno = ENOSPC;
    return -1;
  }
  return static_cast<ssize_t>(::syscall(SYS_pwrite64, fd, buf, count, offset));
}

TEST_CASE("HDF5 output: a full disk becomes RuntimeFailure naming the file", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("big.h5");
  const RunResult run = incompressible_run();

  std::vector<off_t> sizes{0, 4096, 100000, 200000};
  // COMMSIM_TEST_DISK_BYTES=N tries one size (sweep it from a shell to hunt for crashes).
  if (const char* only = std::getenv("COMMSIM_TEST_DISK_BYTES")) sizes = {std::atol(only)};
  for (const off_t disk_bytes : sizes) {
    INFO("disk full after " << disk_bytes << " bytes");
    g_full_disk_file = fs::absolute(path + ".partial").string();
    g_disk_bytes = disk_bytes;
    std::string message;
    bool threw_other = false;
    try {
      Hdf5Output out(path, false);
      out.write_provenance(make_provenance());
      for (int r = 0; r < 8; ++r) out.write_run("/runs/r000" + std::to_string(r), run);
      out.commit();
    } catch (const RuntimeFailure& e) {
      message = e.what();
    } catch (...) {
      threw_other = true;
    }
    g_full_disk_file.clear();
    INFO(message);
    CHECK_FALSE(threw_other);
    CHECK(message.find(path + ".partial") != std::string::npos);
    CHECK(message.find("No space left on device") != std::string::npos);
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + ".partial"));
  }
  // The library is still usable afterwards.
  write_file(path, make_run());
  CHECK(is_complete_output(path));
}

TEST_CASE("HDF5 output: writing daily records is fast", "[hdf5][perf]") {
  // 200 communities x 365 days x 12 services x 5 roles: about 38 MB of daily records.
  TempDir dir;
  RunResult run = make_run();
  const int communities = 200, days = 365, services = 12, roles = 5;
  run.days = days;
  run.service_names.resize(services, "s");
  run.role_names.resize(roles, "r");
  run.communities.resize(communities, run.communities[0]);
  for (auto& c : run.communities) c.staff.assign(roles, 3);
  run.service_totals.assign(static_cast<size_t>(communities * services), ServiceTotals{});
  run.role_totals.assign(static_cast<size_t>(communities * roles), RoleTotals{});
  run.wait_hist.assign(services, WaitHistogram{});
  run.working_wait_hist.assign(services, WaitHistogram{});
  run.citywide.assign(services, CitywideService{});
  run.citywide_roles.assign(roles, CitywideRole{});
  run.years = {YearRecord{0.0, std::vector<uint64_t>(services, 1)}};
  test::add_household_type_tables(run);
  run.daily.resize(days, communities, services, roles, true);
  std::mt19937 rng(1);
  std::poisson_distribution<int> poisson(20);
  for (size_t i = 0; i < run.daily.demand.size(); ++i) {
    run.daily.demand[i] = static_cast<uint32_t>(poisson(rng));
    run.daily.served[i] = run.daily.demand[i];
    run.daily.wait_mean_min[i] = static_cast<float>(poisson(rng)) * 0.7f;
  }
  const auto start = std::chrono::steady_clock::now();
  write_file(dir.file("perf.h5"), run);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double raw_mb = static_cast<double>(run.daily.demand.size() * 9 + run.daily.busy_min.size() * 5) * 4 / 1e6;
  WARN("wrote " << raw_mb << " MB of daily records in " << seconds << " s; file "
                << static_cast<double>(fs::file_size(dir.file("perf.h5"))) / 1e6 << " MB");
  CHECK(seconds < 10.0);
}

TEST_CASE("HDF5 output: a full file system becomes RuntimeFailure naming the file", "[hdf5][enospc]") {
  // Needs a small file system: COMMSIM_SMALL_FS_DIR names one (e.g. mount -t tmpfs -o size=64k tmpfs
  // /tmp/tinyfs), else the test mounts a 64 KB tmpfs itself (root); without either, ctest shows it skipped.
  TempDir dir("enospc");
  const char* given = std::getenv("COMMSIM_SMALL_FS_DIR");
  std::optional<test::SmallFs> tiny;
  if (!given) tiny.emplace(dir.path().string(), "64k");
  if (!given && !tiny->mounted())
    COMMSIM_SKIP("no small file system: set COMMSIM_SMALL_FS_DIR or run as root (tmpfs mount)");
  const std::string path = ((given ? fs::path(given) : dir.path()) / "full.h5").string();
  const RunResult run = incompressible_run();
  std::string message;
  try {
    Hdf5Output out(path, true);
    for (int r = 0; r < 20; ++r) out.write_run("/runs/r" + std::to_string(r), run);
    out.commit();
  } catch (const RuntimeFailure& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find(path + ".partial") != std::string::npos);
  CHECK(message.find("No space left on device") != std::string::npos);
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));
}

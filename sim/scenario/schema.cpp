#include "sim/scenario/schema.hpp"

#include <cmath>
#include <memory>

namespace commsim::scenario_detail {

namespace {

const std::vector<std::string> kLevels = {"none", "partial", "full"};
const std::vector<std::string> kWeekdays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr int kMaxAge = 120;

// Age bands [from, to] inclusive, ages 0..120, from <= to, no two bands overlapping.
template <class Band>
void check_bands(const std::vector<Band>& bands, const Node& n, const Path& p) {
  for (size_t i = 0; i < bands.size(); ++i) {
    const Node& item = n.items[i];
    const Path ip = join(p, std::to_string(i));
    if (bands[i].from > bands[i].to)
      fail(item, ip, "age band is inverted: from " + std::to_string(bands[i].from) + " > to " + std::to_string(bands[i].to) +
                         " (bands are inclusive [from, to] with from <= to)");
    for (size_t j = 0; j < i; ++j)
      if (bands[i].from <= bands[j].to && bands[j].from <= bands[i].to)
        fail(item, ip, "age band [" + std::to_string(bands[i].from) + ", " + std::to_string(bands[i].to) +
                           "] overlaps band " + std::to_string(j) + " [" + std::to_string(bands[j].from) + ", " +
                           std::to_string(bands[j].to) + "]; bands must not overlap");
  }
}

template <class S, class Band>
Field<S> bands(std::string key, std::vector<Band> S::*m, std::function<const Schema<Band>&()> schema, std::string type,
               std::string allowed, std::string meaning) {
  auto f = make<S>(std::move(key), std::move(type), "", std::move(allowed), std::move(meaning));
  f.read = [m, schema](S& s, const Node& n, const Path& p) {
    std::vector<Band> values;
    if (!n.is_null()) {
      expect_list(n, p, "a list of age bands {from, to, ...}");
      for (size_t i = 0; i < n.items.size(); ++i) {
        Band band;
        schema().read(band, n.items[i], join(p, std::to_string(i)));
        values.push_back(band);
      }
      check_bands(values, n, p);
    }
    s.*m = values;
  };
  f.write = [m, schema](const S& s) -> std::optional<Node> {
    Node out = Node::list();
    for (const auto& v : s.*m) out.items.push_back(schema().write(v));
    return out;
  };
  return f;
}

std::shared_ptr<const Schema<AgeBand>> age_band_schema(Range value_range, const std::string& unit) {
  auto schema = std::make_shared<Schema<AgeBand>>();
  schema->fields = {num("from", &AgeBand::from, between(0, kMaxAge), "years", "first age of the band (inclusive)"),
                    num("to", &AgeBand::to, between(0, kMaxAge), "years", "last age of the band (inclusive)"),
                    num("value", &AgeBand::value, value_range, unit, "value for residents of these ages")};
  return schema;
}

template <class S>
Field<S> age_bands(std::string key, std::vector<AgeBand> S::*m, Range value_range, std::string unit,
                   std::string extra, std::string meaning) {
  std::shared_ptr<const Schema<AgeBand>> schema = age_band_schema(value_range, unit);
  auto f = bands<S, AgeBand>(std::move(key), m, [schema]() -> const Schema<AgeBand>& { return *schema; },
                             "list of {from, to, value}",
                             "ages 0..120, from <= to, no overlaps; value " + value_range.text() + extra,
                             std::move(meaning));
  f.unit = unit;
  return f;
}

const Schema<DependencyBand>& dependency_band_schema() {
  static const Schema<DependencyBand> schema = [] {
    Schema<DependencyBand> s;
    s.fields = {num("from", &DependencyBand::from, between(0, kMaxAge), "years", "first age (inclusive)"),
                num("to", &DependencyBand::to, between(0, kMaxAge), "years", "last age (inclusive)"),
                num("partial", &DependencyBand::partial, kShare, "share", "share partially dependent"),
                num("full", &DependencyBand::full, kShare, "share", "share fully dependent")};
    s.check = [](DependencyBand& b, const Node& n, const Path& p) {
      if (b.partial + b.full > 1 + 1e-9)
        fail(n, p, "partial + full must be <= 1, got " + format_number(b.partial) + " + " + format_number(b.full));
    };
    return s;
  }();
  return schema;
}

template <class S>
Field<S> dependency_bands(std::string key, std::vector<DependencyBand> S::*m, std::string unit, std::string meaning) {
  auto f = bands<S, DependencyBand>(std::move(key), m, dependency_band_schema, "list of {from, to, partial, full}",
                                    "ages 0..120, from <= to, no overlaps; partial, full in [0, 1]; partial + full <= 1",
                                    std::move(meaning));
  f.unit = std::move(unit);
  return f;
}

// {none: x, partial: y, full: z}; keys not given keep their defaults.
template <class S>
Field<S> per_level(std::string key, std::array<double, 3> S::*m, Range range, std::string unit, std::string meaning) {
  auto f = make<S>(std::move(key), "map {none, partial, full}", std::move(unit), "each " + range.text(),
                   std::move(meaning));
  f.read = [m, range](S& s, const Node& n, const Path& p) {
    if (!n.is_map()) fail(n, p, "expected a map {none: x, partial: y, full: z}, got " + describe(n));
    for (size_t i = 0; i < n.entries.size(); ++i) {
      const auto& [k, v] = n.entries[i];
      size_t level = kLevels.size();
      for (size_t l = 0; l < kLevels.size(); ++l)
        if (kLevels[l] == k) level = l;
      if (level == kLevels.size()) {
        std::string near = closest(k, kLevels);
        throw InputError(n.key_pos[i], join(p, k),
                         "unknown dependency level '" + k + "'; allowed: none, partial, full" +
                             (near.empty() ? "" : " (did you mean '" + near + "'?)"));
      }
      (s.*m)[level] = read_number(v, join(p, k), range);
    }
  };
  f.write = [m](const S& s) -> std::optional<Node> {
    Node out = Node::map();
    for (size_t l = 0; l < 3; ++l) out.add(kLevels[l], number_node((s.*m)[l]));
    return out;
  };
  return f;
}

// A set of names out of a fixed list (dependency levels, weekdays) as a list of names.
template <class S, size_t N>
Field<S> name_set(std::string key, std::array<bool, N> S::*m, const std::vector<std::string>& names, std::string meaning) {
  auto f = make<S>(std::move(key), "list of names", "", "any of: " + list_names(names), std::move(meaning));
  f.read = [m, &names](S& s, const Node& n, const Path& p) {
    std::array<bool, N> set{};
    if (!n.is_null()) {
      expect_list(n, p, "a list of names out of: " + list_names(names));
      for (size_t i = 0; i < n.items.size(); ++i) set[read_choice(n.items[i], join(p, std::to_string(i)), names)] = true;
    }
    s.*m = set;
  };
  f.write = [m, &names](const S& s) -> std::optional<Node> {
    Node out = Node::list();
    for (size_t i = 0; i < N; ++i)
      if ((s.*m)[i]) out.items.push_back(Node::scalar(names[i]));
    return out;
  };
  return f;
}

template <class S>
Field<S> hourly(std::string key, std::array<double, 24> S::*m, std::string meaning) {
  auto f = make<S>(std::move(key), "list of 24 numbers", "weight", "exactly 24 numbers >= 0, or absent (all zero)",
                   std::move(meaning));
  f.read = [m](S& s, const Node& n, const Path& p) {
    std::array<double, 24> values{};
    if (!n.is_null()) {
      if (!n.is_list() || n.items.size() != 24)
        fail(n, p, "expected a list of 24 numbers >= 0 (one weight per hour 0..23), got " +
                       (n.is_list() ? "a list of " + std::to_string(n.items.size()) : describe(n)));
      for (size_t i = 0; i < 24; ++i) values[i] = read_number(n.items[i], join(p, std::to_string(i)), kNonNegative);
    }
    s.*m = values;
  };
  f.write = [m](const S& s) -> std::optional<Node> { return numbers_node(s.*m); };
  return f;
}

// ------------------------------------------------------------------ the scenario schema
const Schema<RunSettings>& run_schema() {
  static const Schema<RunSettings> s{{
      num("days", &RunSettings::days, between(1, 36500), "days", "simulated days; > 365 runs several years"),
      num("seed", &RunSettings::seed, between(0, 18446744073709551615.0), "", "master seed of every random stream"),
      num("replicates", &RunSettings::replicates, between(1, 100000), "", "independent replicates"),
      num("threads", &RunSettings::threads, between(0, 1024), "", "worker threads; 0 = all hardware threads"),
      flag("daily_output", &RunSettings::daily_output, "write per-community daily records"),
      num("batch_residents", &RunSettings::batch_residents, between(0, 1e12), "residents",
          "build and simulate the city in batches of about this many residents (memory); 0 = all at once; results do not depend on it"),
      num("coverage_target", &RunSettings::coverage_target, kShare, "share",
          "communities below this coverage are reported"),
      num("demand_multiplier", &RunSettings::demand_multiplier, positive(1000), "",
          "scales all demand: episodic rates, recurring visits, enrolment wants (capped at 1); 1 = as given"),
  }, {}};
  return s;
}

const Schema<District>& district_schema() {
  static const Schema<District> s{{
      text("name", &District::name, "non-empty, unique", "district name"),
      choice("kind", &District::kind, {"urban", "county"}, "urban or county district (changes funding, N5.3)"),
  }, [](District& d, const Node& n, const Path& p) {
    if (d.name.empty()) fail(n, p, "a district needs a non-empty 'name'");
  }};
  return s;
}

const Range kHouseholds = between(1, 1000000);

// A community's staff in post by role (a communities file's staff.<role> columns).
Field<CommunitySpec> community_staff_field() {
  auto f = make<CommunitySpec>("staff", "map role -> integer", "staff", "keys of staffing.roles; each in [0, 1e+06]",
                               "staff in post by role (committee members included where they count in the norm): "
                               "replaces the role's staffing rule in this community");
  f.read = [](CommunitySpec& c, const Node& n, const Path& p) {
    c.staff.clear();
    if (n.is_null()) return;
    if (!n.is_map()) fail(n, p, "expected a map of role: staff in post, got " + describe(n));
    for (size_t i = 0; i < n.entries.size(); ++i)
      c.staff.emplace_back(n.entries[i].first, read_integer<int>(n.entries[i].second, join(p, n.entries[i].first), between(0, 1e6)));
  };
  f.write = [](const CommunitySpec& c) -> std::optional<Node> {
    if (c.staff.empty()) return std::nullopt;  // by the rules
    Node out = Node::map();
    for (const auto& [role, staff] : c.staff) out.add(role, integer_node(staff));
    return out;
  };
  f.default_doc = "{}";
  return f;
}

const Schema<CommunitySpec>& community_schema() {
  static const Schema<CommunitySpec> s{{
      text("name", &CommunitySpec::name, "non-empty, unique", "community name"),
      text("district", &CommunitySpec::district, "a district name; \"\" = the first district", "district it belongs to"),
      num("households", &CommunitySpec::households, kHouseholds, "households", "households in the community (required)"),
      num("area_km2", &CommunitySpec::area_km2, between(0, 10000), "km2",
          "land area; 0 = households / city.density_households_per_km2"),
      num("x_m", &CommunitySpec::x_m, between(-1e7, 1e7), "m", "x of the community centre"),
      num("y_m", &CommunitySpec::y_m, between(-1e7, 1e7), "m", "y of the community centre"),
      flag("is_new", &CommunitySpec::is_new, "newly built (N2.3 small-community facility minimum applies)"),
      num("facility_indoor_m2", &CommunitySpec::facility_indoor_m2, Range{-kInf, 1e7}, "m2",
          "indoor facility area; < 0 = from the facility policy"),
      num("facility_outdoor_m2", &CommunitySpec::facility_outdoor_m2, Range{-kInf, 1e7}, "m2",
          "outdoor facility area; < 0 = from the facility policy"),
      num("residents", &CommunitySpec::residents, between(0, 1e8), "residents",
          "census city: residents (0 = drawn from the district's household sizes; more than drawn: the rest outside family households)"),
      community_staff_field(),
  }, [](CommunitySpec& c, const Node& n, const Path& p) {
    if (c.name.empty()) fail(n, p, "a community needs a non-empty 'name'");
    if (!n.find("households")) fail(n, p, "a community needs 'households' (an integer in [1, 1e+06])");
  }};
  return s;
}

const Schema<ClassSizeFactors>& size_factor_schema() {
  using F = ClassSizeFactors;
  auto factor = [](const char* district_class, double F::*member, const char* what) {
    return num(district_class, member, between(0.05, 20), "", what);
  };
  static const Schema<F> s{{factor("old_core", &F::old_core, "old core districts"),
                            factor("inner", &F::inner, "inner districts"),
                            factor("new_district", &F::new_district, "new districts"), factor("county", &F::county, "counties")},
                           {}};
  return s;
}

const Schema<CensusCity>& census_schema() {
  using C = CensusCity;
  static const Schema<C> s{{
      file_path("file", &C::file, "census county table (scenarios/data/census-county-2020.csv); \"\" = no census city"),
      file_path("districts_file", &C::districts_file,
                "per unit code: class and built-up area (scenarios/data/xian-districts.csv); units without a row "
                "(or with no file) get both from the census"),
      text("city_code", &C::city_code, "6 digits ending in 00",
           "a city (xxxx00), a province (xx0000) or the nation (000000): all its districts and counties"),
      string_list("units", &C::units, "6-digit county codes", "explicit units instead of city_code"),
      choice("residents", &C::residents, {"urban", "all"},
             "urban: each unit's urban residents (城镇人口); all: every resident"),
      num("built_up_density_per_km2", &C::built_up_density_per_km2, between(1000, 100000), "residents/km2",
          "units without a districts-file row: urban residents per km2 of built-up area (Xi'an 2019: 11,549)"),
      num("old_core_density_per_km2", &C::old_core_density_per_km2, between(1000, 100000), "residents/km2",
          "the same for a derived old core (Xi'an's three old-core districts: 20,500-32,300)"),
  }, [](C& c, const Node& n, const Path& p) {
    c.position = n.key_position(c.units.empty() ? "city_code" : "units");
    if (c.file.empty()) return;
    if (c.city_code.empty() == c.units.empty())
      fail(n, p, "a census city needs exactly one of city_code (a city's code, e.g. \"610100\") or units (county codes)");
    auto code_ok = [](const std::string& code) {
      return code.size() == 6 && code.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!c.city_code.empty() && (!code_ok(c.city_code) || c.city_code.compare(4, 2, "00") != 0))
      throw InputError(n.key_position("city_code"), join(p, "city_code"),
                       "'" + c.city_code + "' is not a city, province or nation code: 6 digits ending in 00 (e.g. 610100, "
                       "610000, 000000)");
    for (size_t i = 0; i < c.units.size(); ++i)
      if (!code_ok(c.units[i]))
        throw InputError(n.find("units")->items[i].pos, join(p, "units." + std::to_string(i)),
                         "'" + c.units[i] + "' is not a 6-digit county code (e.g. 610102)");
  }};
  return s;
}

const Schema<CityGenerator>& generator_schema() {
  static const Schema<CityGenerator> s{{
      num("communities", &CityGenerator::communities, between(0, 1000000), "communities",
          "0 = with city.census the whole census city (each unit's family households / households_mean); without a census, none (give city.communities or communities_file)"),
      num("households_median", &CityGenerator::households_median, between(1, 1000000), "households",
          "lognormal median of households per community"),
      num("households_sigma", &CityGenerator::households_sigma, between(0, 5), "", "lognormal sigma"),
      num("oversized_share", &CityGenerator::oversized_share, kShare, "share", "share forced above 5,000 households (N1.3)"),
      num("micro_share", &CityGenerator::micro_share, kShare, "share", "share forced below 1,000 households (N1.3)"),
      num("county_share", &CityGenerator::county_share, kShare, "share", "share of communities in county districts"),
      num("districts", &CityGenerator::districts, between(1, 10000), "districts", "districts generated"),
      num("new_share", &CityGenerator::new_share, kShare, "share", "share of communities flagged newly built"),
      num("households_mean", &CityGenerator::households_mean, between(10, 1000000), "households",
          "census city: mean households per community (before the class factors)"),
      section<CityGenerator, ClassSizeFactors>("size_factor", &CityGenerator::size_factor, size_factor_schema,
                                               "census city: mean community size by district class, relative"),
  }, [](CityGenerator& g, const Node& n, const Path& p) {
    if (g.oversized_share + g.micro_share > 1 + 1e-9) fail(n, p, "oversized_share + micro_share must be <= 1");
  }};
  return s;
}

const Schema<City>& city_schema() {
  static const Schema<City> s{{
      section<City, CensusCity>("census", &City::census, census_schema, "a city from the 2020 census (issue 15)"),
      num("density_households_per_km2", &City::density_households_per_km2, positive(1e6), "households/km2",
          "area of a community when area_km2 is 0"),
      list_of<City, District>("districts", &City::districts, district_schema,
                              "unique names; absent = one urban district \"city\"", "districts of the city"),
      list_of<City, CommunitySpec>("communities", &City::communities, community_schema,
                                   "unique names; not together with communities_file or generator.communities > 0",
                                   "explicit communities"),
      file_path("communities_file", &City::communities_file,
                "CSV with a header row; columns are community keys (name, district, households required)"),
      section<City, CityGenerator>("generator", &City::generator, generator_schema, "generated city"),
  }, {}};
  return s;
}

const Schema<Dynamics>& dynamics_schema() {
  static const Schema<Dynamics> s{{
      flag("enabled", &Dynamics::enabled, "yearly ageing, deaths, births, onset and turnover"),
      age_bands("mortality_per_year", &Dynamics::mortality_per_year, kShare, "probability/year", "",
                "probability of death within a year, by age"),
      num("births_per_1000", &Dynamics::births_per_1000, between(0, 1000), "births/1000 residents/year",
          "crude birth rate"),
      dependency_bands("onset_per_year", &Dynamics::onset_per_year, "probability/year",
                       "yearly probability none->partial (partial) and partial->full (full), by age"),
      num("household_turnover_per_year", &Dynamics::household_turnover_per_year, kShare, "share/year",
          "share of households replaced by newcomers"),
  }, {}};
  return s;
}

const Schema<Income>& income_schema() {
  static const Schema<Income> s{{
      num("median_per_capita_yuan", &Income::median_per_capita_yuan, between(0, 1e8), "yuan/person/year",
          "median disposable income per person"),
      num("sigma", &Income::sigma, between(0, 5), "", "lognormal sigma of income per person across households"),
  }, {}};
  return s;
}

const Schema<Population>& population_schema() {
  static const Schema<Population> s{{
      number_list("household_size_shares", &Population::household_size_shares, kShare, "share",
                  "; sum = 1; required", "households of 1, 2, ..., N+ persons"),
      age_bands("age_shares", &Population::age_shares, kShare, "share", "; sum = 1; required",
                "shares of residents by age band"),
      num("male_share", &Population::male_share, kShare, "share", "share of residents who are male"),
      dependency_bands("dependency", &Population::dependency, "share", "care dependency by age band"),
      age_bands("hypertension", &Population::hypertension, kShare, "share", "", "hypertension prevalence by age"),
      age_bands("diabetes", &Population::diabetes, kShare, "share", "", "diabetes prevalence by age"),
      num("low_income_share", &Population::low_income_share, kShare, "share",
          "share of households on the minimum living guarantee"),
      choice("placement", &Population::placement, {"uniform", "clustered"}, "how households are placed in a community"),
      num("blocks_per_km2", &Population::blocks_per_km2, between(1, 100000), "blocks/km2",
          "residential blocks when clustered"),
      num("block_radius_m", &Population::block_radius_m, between(0, 10000), "m", "spread around a block centre"),
      file_path("households_file", &Population::households_file, "CSV of households and members (replaces synthesis)"),
      section<Population, Income>("income", &Population::income, income_schema, "household income"),
      section<Population, Dynamics>("dynamics", &Population::dynamics, dynamics_schema, "population dynamics"),
  }, {}};
  return s;
}

const Schema<Eligibility>& eligibility_schema() {
  static const Schema<Eligibility> s{{
      num("min_age", &Eligibility::min_age, between(0, 150), "years", "youngest eligible age (inclusive)"),
      num("max_age", &Eligibility::max_age, between(0, 150), "years", "oldest eligible age (inclusive)"),
      name_set("dependency", &Eligibility::dependency, kLevels, "eligible dependency levels"),
      choice("chronic", &Eligibility::chronic, {"any", "hypertension", "diabetes", "either"},
             "chronic condition required (any = none required)"),
      flag("low_income_only", &Eligibility::low_income_only, "only low-income households"),
      choice("living", &Eligibility::living, {"any", "alone", "elderly_only", "alone_or_elderly_only", "with_others"},
             "household filter: living alone, in a household of members all 60+, either, or neither (with_others)"),
      num("programme_share", &Eligibility::programme_share, kShare, "share",
          "share of the otherwise eligible enrolled in the service's programme (a stable draw per resident)"),
  }, [](Eligibility& e, const Node& n, const Path& p) {
    if (e.min_age > e.max_age)
      fail(n, p, "min_age " + std::to_string(e.min_age) + " > max_age " + std::to_string(e.max_age) +
                     " (min_age must be <= max_age)");
  }};
  return s;
}

constexpr double kHoursPerYear = 24.0 * 365.0;

const Schema<RoleActivity>& activity_schema() {
  static const Schema<RoleActivity> s{{
      choice("driver", &RoleActivity::driver, {"per_worker", "per_household", "per_resident", "per_community", "per_worker_pair"},
             "what the activity's time scales with (staff in post, households, residents, the community; "
             "per_worker_pair: each worker's time per colleague, n x (n - 1) for a team of n)"),
      num("hours_per_year", &RoleActivity::hours_per_year, between(0, 1e6), "hours/year",
          "time standard per unit of the driver a year"),
  }, {}};
  return s;
}

const Schema<Service::SharedWith>& shared_with_schema() {
  static const Schema<Service::SharedWith> s{{
      text("role", &Service::SharedWith::role, "a key of staffing.roles", "the other role (e.g. social organisations)"),
      num("share", &Service::SharedWith::share, kShare, "share", "share of the service's requests it serves"),
  }, [](Service::SharedWith& w, const Node& n, const Path& p) {
    if (w.share > 0 && w.role.empty()) fail(n, join(p, "role"), "a shared share needs 'role' (a key of staffing.roles)");
  }};
  return s;
}

const Schema<TakeUp>& take_up_schema() {
  static const Schema<TakeUp> s{{
      num("fee_yuan_per_month", &TakeUp::fee_yuan_per_month, between(0, 1e7), "yuan/month",
          "enrolment: fee; 0 = free (no income test)"),
      num("wtp_income_share", &TakeUp::wtp_income_share, positive(10), "share",
          "enrolment: median share of household income a household would pay"),
      num("wtp_sigma", &TakeUp::wtp_sigma, between(0, 5), "", "enrolment: lognormal sigma of that share"),
      num("km_90", &TakeUp::km_90, between(0, 1000), "km", "enrolment: distance 90 % accept; 0 = distance does not matter"),
      num("with_carer", &TakeUp::with_carer, kShare, "share", "recurring: take-up when a household member can care"),
      num("without_carer", &TakeUp::without_carer, kShare, "share", "recurring: take-up otherwise"),
  }, {}};
  return s;
}

const Schema<Service>& service_schema() {
  static const Schema<Service> s = [] {
    Schema<Service> schema;
    auto rate_per_hour = make<Service>("rate_per_hour", "number", "episodes/unit/hour", ">= 0; not with rate_per_year",
                                       "input alternative to rate_per_year (stored as rate_per_hour * 8760)");
    rate_per_hour.read = [](Service& svc, const Node& n, const Path& p) {
      svc.rate_per_year = read_number(n, p, Range{0, 1e6 / kHoursPerYear}) * kHoursPerYear;
    };
    rate_per_hour.write = [](const Service&) -> std::optional<Node> { return std::nullopt; };
    schema.fields = {
        choice("kind", &Service::kind, {kServiceKindNames.begin(), kServiceKindNames.end()}, "how demand arises"),
        choice("unit", &Service::unit, {"resident", "household"}, "who requests"),
        section<Service, Eligibility>("eligible", &Service::eligible, eligibility_schema, "who is eligible"),
        text("role", &Service::role, "a key of staffing.roles", "staff role that serves it (required)"),
        num("rate_per_year", &Service::rate_per_year, between(0, 1e6), "episodes/unit/year",
            "episodic: Poisson episodes per eligible unit per year"),
        rate_per_hour,
        age_bands("rate_per_year_by_age", &Service::rate_per_year_by_age, between(0, 1e6), "episodes/year", "",
                  "episodic: replaces rate_per_year by age"),
        num("chronic_extra_per_year", &Service::chronic_extra_per_year, between(0, 1e6), "episodes/year",
            "episodic: added for residents with a chronic condition"),
        num("period_days", &Service::period_days, between(1, 3650), "days", "recurring: length of a period"),
        per_level("visits_per_period", &Service::visits_per_period, between(0, 1000), "visits/period",
                  "recurring: visits per period by dependency level"),
        num("community_share", &Service::community_share, kShare, "share",
            "episodic: share of episodes seen at the community facility (the rest go elsewhere)"),
        flag("overflow_elsewhere", &Service::overflow_elsewhere,
             "requests not served by their deadline go elsewhere (medical: hospitals), reported as overflow"),
        section<Service, Service::SharedWith>("shared_with", &Service::shared_with, shared_with_schema,
                                              "a share of the requests served by another role (N4.4)"),
        per_level("want_share", &Service::want_share, kShare, "share",
                  "enrolment: share of eligible residents who want a place"),
        section<Service, TakeUp>("take_up", &Service::take_up, take_up_schema, "who of the eligible use the service"),
        age_bands("clients_per_staff_by_age", &Service::clients_per_staff_by_age, positive(1e6), "clients/staff", "",
                  "enrolment: staff ratio by client age"),
        num("clients_per_staff", &Service::clients_per_staff, between(0, 1e6), "clients/staff",
            "enrolment: staff ratio when the by-age list is empty"),
        text("facility_use", &Service::facility_use, "a key of facility.uses, or \"\"",
             "facility use whose places bound enrolment (or room limit); \"\" = none"),
        name_set("open_weekdays", &Service::open_weekdays, kWeekdays, "days the service is open"),
        num("service_minutes", &Service::service_minutes, positive(10080), "minutes", "worker time per request"),
        choice("service_time", &Service::service_time, {"fixed", "exponential"}, "distribution of service time"),
        choice("where", &Service::where, {"facility", "home"}, "place of service (home: travel counts)"),
        num("deadline_days", &Service::deadline_days, between(-1, 3650), "working days",
            "served in time within this many working days; -1 = no deadline"),
        flag("expire", &Service::expire, "unserved requests are dropped at the deadline"),
        num("priority", &Service::priority, between(-1000, 1000), "", "higher is served first within a role"),
        hourly("arrival_profile", &Service::arrival_profile, "arrival weight per hour; all zero = role's shift"),
    };
    schema.check = [](Service& svc, const Node& n, const Path& p) {
      if (n.find("rate_per_hour") && n.find("rate_per_year"))
        throw InputError(n.key_position("rate_per_hour"), join(p, "rate_per_hour"),
                         "give either rate_per_year or rate_per_hour, not both");
      if (svc.kind == ServiceKind::episodic && !n.find("rate_per_hour") && !n.find("rate_per_year") &&
          svc.rate_per_year_by_age.empty())
        fail(n, join(p, "rate_per_year"),
             "an episodic service needs rate_per_year, rate_per_hour or rate_per_year_by_age");
      if (svc.kind == ServiceKind::enrolment && svc.clients_per_staff <= 0 && svc.clients_per_staff_by_age.empty())
        fail(n, join(p, "clients_per_staff"),
             "an enrolment service needs a staff ratio: clients_per_staff > 0 or clients_per_staff_by_age");
      if (svc.role.empty()) fail(n, join(p, "role"), "a service needs 'role' (a key of staffing.roles)");
    };
    return schema;
  }();
  return s;
}

const Schema<Role>& role_schema() {
  static const Schema<Role> s{{
      num("hours_per_week", &Role::hours_per_week, positive(168), "hours/week", "contracted hours"),
      num("days_per_week", &Role::days_per_week, between(1, 7), "days/week", "works Mon.. for this many days"),
      num("shift_start_minute", &Role::shift_start_minute, between(0, 1439), "minute of day", "shift start (510 = 08:30)"),
      num("absence_rate", &Role::absence_rate, kShare, "probability", "probability of absence on a working day"),
      num("pay_per_month_yuan", &Role::pay_per_month_yuan, between(0, 1e7), "yuan/month", "pay per worker"),
      num("max_overtime_minutes", &Role::max_overtime_minutes, between(0, 1440), "minutes",
          "a service may end at most this long after the shift"),
      num("travel_speed_m_per_min", &Role::travel_speed_m_per_min, positive(10000), "m/min", "travel speed for home services"),
      num("overhead_hours_per_week", &Role::overhead_hours_per_week, between(0, 168), "hours/week",
          "per community, shared by the role's present workers"),
      named_map<Role, RoleActivity>("activities", &Role::activities, &RoleActivity::name, activity_schema,
                                    "keys are activity names",
                                    "support activities (WISN): time standards by driver, shared by present workers"),
      num("annual_leave_days", &Role::annual_leave_days, between(0, 365), "days/year", "paid annual leave"),
      num("sick_leave_days", &Role::sick_leave_days, between(0, 365), "days/year", "sick leave"),
      num("training_days", &Role::training_days, between(0, 365), "days/year", "training (N3.7)"),
      flag("works_public_holidays", &Role::works_public_holidays,
           "false: off on staffing.public_holidays (true: holidays are working days)"),
  }, [](Role& r, const Node& n, const Path& p) {
    const double working_days = r.days_per_week * 52.0;
    if (r.annual_leave_days + r.sick_leave_days + r.training_days >= working_days) {
      // Point at the largest of the three given here (the node may merge a base file's role).
      const std::pair<const char*, double> days[] = {
          {"annual_leave_days", r.annual_leave_days}, {"sick_leave_days", r.sick_leave_days}, {"training_days", r.training_days}};
      const char* key = nullptr;
      double largest = -1;
      for (const auto& [k, v] : days)
        if (n.find(k) && v > largest) key = k, largest = v;
      throw InputError(key ? n.key_position(key) : n.pos, key ? join(p, key) : p,
                       "annual_leave_days + sick_leave_days + training_days = " +
                           std::to_string(static_cast<int>(r.annual_leave_days + r.sick_leave_days + r.training_days)) +
                           " must be fewer than the " + std::to_string(static_cast<int>(working_days)) +
                           " working days a year (days_per_week x 52)");
    }
  }};
  return s;
}

// ---- community size mechanisms (issue 23): staffing schedules, shared stations, residents' networks
const Range kHouseholds0 = between(0, 1000000);

const Schema<StaffingRule::Band>& schedule_band_schema() {
  using B = StaffingRule::Band;
  static const Schema<B> s{{
      num("from_households", &B::from_households, kHouseholds0, "households", "the band starts at this size"),
      num("staff", &B::staff, between(0, 1e6), "staff", "staff from this size on"),
  }, {}};
  return s;
}

void check_schedule(const StaffingRule& r, const Node& n, const Path& p) {
  if (r.rule == StaffingRuleKind::schedule && r.bands.empty())
    fail(n, p, "a schedule rule needs bands (a list of {from_households, staff})");
  for (size_t i = 1; i < r.bands.size(); ++i)
    if (r.bands[i].from_households <= r.bands[i - 1].from_households)
      fail(n, join(join(p, "bands"), std::to_string(i)), "bands must be in ascending from_households");
}

const Schema<FacilityPolicy::SharedStation>& shared_station_schema() {
  using S = FacilityPolicy::SharedStation;
  static const Schema<S> s{{
      text("use", &S::use, "a key of facility.uses, or empty", "the facility use shared (empty: no sharing)"),
      num("reach_m", &S::reach_m, between(0, 100000), "m", "a station within this network distance serves"),
      num("rooms", &S::rooms, between(0, 1000), "places", "places of the station the served community's staff use"),
  }, {}};
  return s;
}

const Schema<ResidentNetworks>& networks_schema() {
  using R = ResidentNetworks;
  static const Schema<R> s{{
      string_list<R>("services", &R::services, "recurring services", "visit services whose visits networks share"),
      num("share_at_reference", &R::share_at_reference, kShare, "share", "share of the visits at reference_households"),
      num("reference_households", &R::reference_households, between(1, 1000000), "households", "the size of that share"),
      num("size_elasticity", &R::size_elasticity, between(0, 10), "1", "share x (reference / households) ^ elasticity"),
      num("max_share", &R::max_share, kShare, "share", "at most this share"),
  }, {}};
  return s;
}
// ---- end of the size mechanisms

const Schema<CalibrationSettings>& calibration_schema() {
  static const Schema<CalibrationSettings> s{{
      file_path("accepted_file", &CalibrationSettings::accepted_file,
                "the accepted parameter sets of `commsim calibrate --abc` (a CSV): --uncertainty and findings draw "
                "each sample's calibrated parameters as one row of it, not from their ranges; a plain run ignores it"),
  }, {}};
  return s;
}

const Schema<StaffingRule>& rule_schema() {
  static const Schema<StaffingRule> s{{
      choice("rule", &StaffingRule::rule,
             {"per_10k_residents", "per_client", "fixed", "committee", "per_place", "schedule", "purchased"},
             "how staff are counted (purchased: the posts funding.purchase_* buys)"),
      num("per_10k", &StaffingRule::per_10k, between(0, 10000), "staff/10,000 residents", "per_10k_residents"),
      text("client_service", &StaffingRule::client_service, "a key of services (per_client)",
           "per_client: the service whose eligible clients count"),
      num("clients_per_staff", &StaffingRule::clients_per_staff, between(0, 1e6), "clients/staff", "per_client ratio"),
      text("facility_use", &StaffingRule::facility_use, "a key of facility.uses (per_place)",
           "per_place: the facility use whose places are staffed (a nursery staffed for its places)"),
      num("places_per_staff", &StaffingRule::places_per_staff, between(0, 1e6), "places/staff", "per_place ratio"),
      num("fixed", &StaffingRule::fixed, between(0, 1e6), "staff", "fixed: staff per community"),
      num("min", &StaffingRule::min, between(0, 1e6), "staff", "lower bound after rounding"),
      num("max", &StaffingRule::max, between(0, 1e9), "staff", "upper bound after rounding"),
      choice("rounding", &StaffingRule::rounding, {"nearest", "up", "down"}, "rounding of the count"),
      num("oversized_extra_share", &StaffingRule::oversized_extra_share, kShare, "share",
          "extra staff share when oversized (N1.4)"),
      num("vacancy_share", &StaffingRule::vacancy_share, kShare, "share", "share of posts unfilled (rounded down)"),
      list_of<StaffingRule, StaffingRule::Band>("bands", &StaffingRule::bands, schedule_band_schema, "ascending from_households",
                                                "schedule: staff from each household band on (a floor and steps)"),
      num("extra_from_households", &StaffingRule::extra_from_households, kHouseholds0, "households",
          "schedule: the slope starts above this size"),
      num("extra_per_households", &StaffingRule::extra_per_households, kHouseholds0, "households",
          "schedule: one more worker per this many family households above extra_from_households (0 = none)"),
  }, [](StaffingRule& r, const Node& n, const Path& p) {
    check_schedule(r, n, p);
    if (r.min > r.max) fail(n, join(p, "min"), "min " + std::to_string(r.min) + " > max " + std::to_string(r.max));
    if (r.rule == StaffingRuleKind::per_client && (r.client_service.empty() || r.clients_per_staff <= 0))
      fail(n, p, "a per_client rule needs client_service (a service name) and clients_per_staff > 0");
    if (r.rule == StaffingRuleKind::per_place && (r.facility_use.empty() || r.places_per_staff <= 0))
      fail(n, p, "a per_place rule needs facility_use (a facility use) and places_per_staff > 0");
  }};
  return s;
}

const Schema<CommitteePolicy>& committee_schema() {
  using C = CommitteePolicy;
  auto members = [](const char* key, int C::*member, const char* norm) {
    return num(key, member, between(0, 1000), "members", norm);
  };
  static const Schema<C> s{{
      num("small_households_below", &C::small_households_below, between(0, 1000000), "households", "N3.2 small band"),
      num("large_households_above", &C::large_households_above, between(0, 1000000), "households", "N3.2 large band"),
      members("small", &C::small, "N3.2 members, small community"), members("medium", &C::medium, "N3.2 members, medium community"),
      members("large", &C::large, "N3.2 members, large community"), members("party_small", &C::party_small, "N3.1 party branch"),
      members("party_large", &C::party_large, "N3.1 general branch / committee"),
      num("party_large_from_households", &C::party_large_from_households, between(0, 1000000), "households",
          "N3.1 size from which the large party organisation applies"),
      num("cross_appointment_share", &C::cross_appointment_share, kShare, "share", "N3.3 serving on both"),
      num("cap_total", &C::cap_total, between(0, 1000), "people", "N3.4 both committees together at most"),
      text("serves_as_role", &C::serves_as_role, "a key of staffing.roles, or \"\" (no capacity)",
           "committee members add capacity to this role"),
      num("service_share", &C::service_share, kShare, "share", "share of a member's time serving residents"),
      flag("counts_in_norm", &C::counts_in_norm,
           "committee members count within the role's staffing rule (S30): full-time workers fill the rest"),
  }, [](C& c, const Node& n, const Path& p) {
    if (c.small_households_below > c.large_households_above)
      fail(n, p, "small_households_below must be <= large_households_above");
  }};
  return s;
}

const Schema<Staffing>& staffing_schema() {
  static const Schema<Staffing> s{{
      named_map<Staffing, Role>("roles", &Staffing::roles, &Role::name, role_schema, "at least one role",
                                "staff roles by name"),
      named_map<Staffing, StaffingRule>("rules", &Staffing::rules, &StaffingRule::role, rule_schema,
                                        "keys are role names", "staffing rule per role"),
      section<Staffing, CommitteePolicy>("committee", &Staffing::committee, committee_schema, "residents' committee"),
      number_list<Staffing>("public_holidays", &Staffing::public_holidays, between(0, 364), "day of year",
                            ", whole days, 0 = 1 January", "public holidays, off for roles that do not work them"),
  }, [](Staffing& s, const Node& n, const Path& p) {
    for (size_t i = 0; i < s.public_holidays.size(); ++i)
      if (s.public_holidays[i] != std::floor(s.public_holidays[i]))
        fail(n.find("public_holidays")->items[i], join(join(p, "public_holidays"), std::to_string(i)),
             "a public holiday is a whole day of the year (0..364)");
  }};
  return s;
}

const Schema<FacilityUse>& facility_use_schema() {
  static const Schema<FacilityUse> s{{
      num("share", &FacilityUse::share, kShare, "share", "share of indoor area"),
      num("m2_per_place", &FacilityUse::m2_per_place, between(0, 10000), "m2/place", "0 = no places"),
      flag("activity", &FacilityUse::activity, "counts toward the N2.4 activity share"),
  }, {}};
  return s;
}

const Schema<FacilityPolicy>& facility_schema() {
  using F = FacilityPolicy;
  static const Schema<F> s{{
      num("m2_per_100_households", &F::m2_per_100_households, between(0, 10000), "m2/100 households", "N2.1"),
      num("small_minimum_m2", &F::small_minimum_m2, between(0, 1e6), "m2", "N2.3 minimum for small new communities"),
      num("small_below_households", &F::small_below_households, between(0, 1000000), "households", "N2.3 threshold"),
      num("outdoor_minimum_m2", &F::outdoor_minimum_m2, between(0, 1e6), "m2", "N2.2"),
      num("activity_share_min", &F::activity_share_min, kShare, "share", "N2.4"),
      named_map<F, FacilityUse>("uses", &F::uses, &FacilityUse::name, facility_use_schema,
                                "shares sum to 1 when given", "split of the indoor area by use"),
      num("capital_cost_yuan_per_m2", &F::capital_cost_yuan_per_m2, between(0, 1e6), "yuan/m2",
          "N5.1 construction cost of the indoor facility (assumption, range 2,500-6,000: docs/curves.md)"),
      num("capital_life_years", &F::capital_life_years, between(1, 200), "years",
          "N5.1 life over which the construction cost is annualised (assumption, range 20-50)"),
      section<F, F::SharedStation>("shared_station", &F::shared_station, shared_station_schema,
                                   "shared health stations: communities without a room use a neighbour's"),
      num("shortfall_share", &F::shortfall_share, kShare, "share",
          "share of communities whose facility falls short of the policy's area (N2.5; issue 24)"),
      num("shortfall_old_core_factor", &F::shortfall_old_core_factor, between(0, 100), "",
          "old-core districts: shortfall_share x this (at most 1)"),
      num("shortfall_area_min", &F::shortfall_area_min, kShare, "share", "a short facility's least share of the area"),
      num("shortfall_area_max", &F::shortfall_area_max, kShare, "share", "a short facility's largest share of the area"),
  }, [](F& f, const Node& n, const Path& p) {
    if (f.shortfall_area_min > f.shortfall_area_max)
      fail(n, join(p, "shortfall_area_min"), "shortfall_area_min must be <= shortfall_area_max");
  }};
  return s;
}

const Schema<Sizing>& sizing_schema() {
  static const Schema<Sizing> s{{
      choice("mode", &Sizing::mode, {"as_given", "uniform", "restructure"}, "community sizes"),
      num("households", &Sizing::households, kHouseholds, "households", "uniform: family households per community (residents in collective living are not households)"),
      num("upper", &Sizing::upper, kHouseholds, "households", "restructure: split above (N1.1)"),
      num("lower", &Sizing::lower, kHouseholds, "households", "restructure: merge below (N1.1)"),
      num("preferred", &Sizing::preferred, kHouseholds, "households", "restructure: size of split parts (N1.2)"),
      num("oversized_above", &Sizing::oversized_above, kHouseholds, "households", "flag oversized (N1.3)"),
      num("micro_below", &Sizing::micro_below, kHouseholds, "households", "flag micro (N1.3)"),
  }, [](Sizing& z, const Node& n, const Path& p) {
    if (z.lower >= z.upper) fail(n, p, "lower must be < upper");
    if (z.preferred < z.lower || z.preferred > z.upper) fail(n, p, "preferred must be within [lower, upper]");
  }};
  return s;
}

const Schema<Funding>& funding_schema() {
  using F = Funding;
  static const Schema<F> s{{
      num("city_per_community_yuan", &F::city_per_community_yuan, between(0, 1e10), "yuan/year", "N5.3"),
      num("district_urban_per_community_yuan", &F::district_urban_per_community_yuan, between(0, 1e10), "yuan/year", "N5.3"),
      num("district_county_per_community_yuan", &F::district_county_per_community_yuan, between(0, 1e10), "yuan/year",
          "N5.3"),
      num("pay_city_share", &F::pay_city_share, kShare, "share", "N5.2 city share of community worker pay"),
      num("purchase_share", &F::purchase_share, kShare, "share",
          "share of the operating funds buying service hours (政府购买服务; a purchased staffing rule's posts)"),
      num("purchase_price_yuan_per_hour", &F::purchase_price_yuan_per_hour, positive(1e6), "yuan/hour",
          "price of one purchased service hour"),
  }, {}};
  return s;
}

const Schema<FindingsSettings>& findings_schema() {
  using F = FindingsSettings;
  static const Schema<F> s{{
      num("value_of_service_hour_yuan", &F::value_of_service_hour_yuan, positive(1e6), "yuan/hour",
          "what an unmet service hour is worth: the efficient staffing level and the best community size (docs/findings.md)"),
  }, {}};
  return s;
}

const Schema<Travel>& travel_schema() {
  static const Schema<Travel> s{{
      num("detour_factor", &Travel::detour_factor, between(1, 10), "", "network distance / straight line"),
      flag("manhattan", &Travel::manhattan, "grid (L1) distance instead of straight line"),
      num("access_minutes", &Travel::access_minutes, positive(1440), "minutes", "N1.5 access circle"),
      num("access_speed_m_per_min", &Travel::access_speed_m_per_min, positive(10000), "m/min", "walking speed"),
  }, {}};
  return s;
}

const Schema<Shock>& shock_schema() {
  static const Schema<Shock> s{{
      choice("kind", &Shock::kind, {"demand_surge", "staff_absence", "facility_closure", "vacancy"}, "what happens"),
      num("start_day", &Shock::start_day, between(0, 36500), "day", "first day (inclusive)"),
      num("end_day", &Shock::end_day, between(0, 36500), "day", "end day (exclusive)"),
      text("service", &Shock::service, "a key of services (demand_surge)", "demand_surge: the service"),
      num("factor", &Shock::factor, between(0, 1000), "", "demand_surge: demand multiplier"),
      text("role", &Shock::role, "a key of staffing.roles (staff_absence, vacancy)", "staff_absence, vacancy: the role"),
      num("share", &Shock::share, kShare, "share", "staff_absence: extra absence; vacancy: share unfilled"),
      string_list("communities", &Shock::communities, "community names", "communities hit; empty = all"),
  }, [](Shock& k, const Node& n, const Path& p) {
    if (k.start_day > k.end_day) fail(n, p, "start_day must be <= end_day");
    if (k.kind == ShockKind::demand_surge && k.service.empty()) fail(n, p, "a demand_surge shock needs 'service'");
    if ((k.kind == ShockKind::staff_absence || k.kind == ShockKind::vacancy) && k.role.empty())
      fail(n, p, "a " + std::string(k.kind == ShockKind::vacancy ? "vacancy" : "staff_absence") + " shock needs 'role'");
  }};
  return s;
}

// ---- norm sets (issue 26): a jurisdiction's figures, each section with its source
void require_source(const std::string& source, const Node& n, const Path& p) {
  if (source.empty()) fail(n, join(p, "source"), "every figure needs its source (a key of sim/calibration/sources.yaml)");
}

// A norm section's `source` and `note` keys.
template <class S>
std::vector<Field<S>> with_source(std::vector<Field<S>> fields) {
  fields.push_back(text("source", &S::source, "a key of sim/calibration/sources.yaml", "where the figures come from (required)"));
  fields.push_back(text("note", &S::note, "any text", "how the figures were read"));
  return fields;
}

const Schema<NormSet::Workers>& norm_workers_schema() {
  using W = NormSet::Workers;
  static const Schema<W> s{with_source<W>({
      choice("rule", &W::rule, {"per_10k_residents", "per_client", "fixed", "committee", "per_place", "schedule", "purchased"},
             "per_10k_residents or schedule (by family households)"),
      num("per_10k", &W::per_10k, between(0, 10000), "workers/10,000 residents", "per_10k_residents: the ratio"),
      list_of<W, StaffingRule::Band>("bands", &W::bands, schedule_band_schema, "ascending from_households",
                                     "schedule: workers from each household band on"),
      num("extra_from_households", &W::extra_from_households, kHouseholds0, "households", "schedule: the slope starts above this"),
      num("extra_per_households", &W::extra_per_households, kHouseholds0, "households", "schedule: one more per this many"),
      num("max", &W::max, between(0, 1e9), "workers", "at most this many per community"),
      flag("counts_committee", &W::counts_committee, "committee members count within the figure (else they add to it)"),
      num("oversized_extra_share", &W::oversized_extra_share, between(-1, 1), "share", "N1.4 extra; -1 = the scenario's"),
  }), [](W& w, const Node& n, const Path& p) {
    w.given = true;
    if (w.rule != StaffingRuleKind::per_10k_residents && w.rule != StaffingRuleKind::schedule)
      fail(*n.find("rule"), join(p, "rule"), "a norm's community-worker rule is per_10k_residents or schedule");
    if (w.rule == StaffingRuleKind::schedule && w.bands.empty())
      fail(n, p, "a schedule rule needs bands (a list of {from_households, staff})");
    for (size_t i = 1; i < w.bands.size(); ++i)
      if (w.bands[i].from_households <= w.bands[i - 1].from_households)
        fail(n, join(join(p, "bands"), std::to_string(i)), "bands must be in ascending from_households");
    require_source(w.source, n, p);
  }};
  return s;
}

const Schema<NormSet::Committee>& norm_committee_schema() {
  using C = NormSet::Committee;
  static const Schema<C> s{with_source<C>({
      num("small_households_below", &C::small_households_below, between(0, 1000000), "households", "N3.2 small band"),
      num("large_households_above", &C::large_households_above, between(0, 1000000), "households", "N3.2 large band"),
      num("small", &C::small, between(0, 1000), "members", "residents' committee, small community"),
      num("medium", &C::medium, between(0, 1000), "members", "residents' committee, medium community"),
      num("large", &C::large, between(0, 1000), "members", "residents' committee, large community"),
      num("cap_total", &C::cap_total, between(0, 1000), "people", "both committees together at most"),
  }), [](C& c, const Node& n, const Path& p) {
    c.given = true;
    if (c.small_households_below > c.large_households_above)
      fail(n, p, "small_households_below must be <= large_households_above");
    require_source(c.source, n, p);
  }};
  return s;
}

const Schema<NormSet::Facility>& norm_facility_schema() {
  using F = NormSet::Facility;
  static const Schema<F> s{with_source<F>({
      num("m2_per_100_households", &F::m2_per_100_households, between(0, 10000), "m2/100 households", "indoor area"),
      num("small_minimum_m2", &F::small_minimum_m2, between(0, 1e6), "m2", "minimum for small new communities"),
      num("small_below_households", &F::small_below_households, between(0, 1000000), "households", "that minimum's threshold"),
      num("outdoor_minimum_m2", &F::outdoor_minimum_m2, between(0, 1e6), "m2", "outdoor activity square"),
      num("activity_share_min", &F::activity_share_min, kShare, "share", "share of the area for residents' activities"),
  }), [](F& f, const Node& n, const Path& p) {
    f.given = true;
    require_source(f.source, n, p);
  }};
  return s;
}

const Schema<NormSet::Funds>& norm_funding_schema() {
  using F = NormSet::Funds;
  static const Schema<F> s{with_source<F>({
      num("city_per_community_yuan", &F::city_per_community_yuan, between(0, 1e10), "yuan/year", "city part"),
      num("district_urban_per_community_yuan", &F::district_urban_per_community_yuan, between(0, 1e10), "yuan/year",
          "district part (urban district)"),
      num("district_county_per_community_yuan", &F::district_county_per_community_yuan, between(0, 1e10), "yuan/year",
          "district part (county)"),
  }), [](F& f, const Node& n, const Path& p) {
    f.given = true;
    require_source(f.source, n, p);
  }};
  return s;
}

const Schema<NormSet::Size>& norm_size_schema() {
  using Z = NormSet::Size;
  static const Schema<Z> s{with_source<Z>({
      num("micro_below", &Z::micro_below, kHouseholds, "households", "a community below this is micro"),
      num("oversized_above", &Z::oversized_above, kHouseholds, "households", "a community above this is oversized"),
  }), [](Z& z, const Node& n, const Path& p) {
    z.given = true;
    if (z.micro_below > z.oversized_above) fail(n, p, "micro_below must be <= oversized_above");
    require_source(z.source, n, p);
  }};
  return s;
}

const Schema<NormSet>& norm_set_schema() {
  static const Schema<NormSet> s{{
      text("name", &NormSet::name, "any text", "the set's short name (its file name)"),
      text("title", &NormSet::title, "any text", "the jurisdiction, the document and its year"),
      text("source", &NormSet::source, "a key of sim/calibration/sources.yaml", "the document (required)"),
      section<NormSet, NormSet::Workers>("community_workers", &NormSet::community_workers, norm_workers_schema,
                                         "community workers (absent: the scenario's rule stays)"),
      section<NormSet, NormSet::Committee>("committee", &NormSet::committee, norm_committee_schema,
                                           "residents' committee (absent: the scenario's stays)"),
      section<NormSet, NormSet::Facility>("facility", &NormSet::facility, norm_facility_schema,
                                          "service facility (absent: the scenario's stays)"),
      section<NormSet, NormSet::Funds>("funding", &NormSet::funding, norm_funding_schema,
                                       "operating funds per community (absent: the scenario's stay)"),
      section<NormSet, NormSet::Size>("size", &NormSet::size, norm_size_schema,
                                      "community size band (absent: the scenario's stays)"),
  }, [](NormSet& set, const Node& n, const Path& p) {
    if (set.source.empty() || !n.find("source")) fail(n, join(p, "source"), "a norm set needs its source (a key of sim/calibration/sources.yaml)");
  }};
  return s;
}

const Schema<Scenario>& scenario_schema() {
  static const Schema<Scenario> s = [] {
    Schema<Scenario> schema;
    auto extends = make<Scenario>("extends", "path", "", "a scenario file, relative to this file",
                                  "base scenario this file overrides (chains allowed)");
    extends.read = [](Scenario&, const Node&, const Path&) {};  // resolved before reading
    extends.write = [](const Scenario&) -> std::optional<Node> { return std::nullopt; };
    schema.fields = {
        text("name", &Scenario::name, "any text", "scenario name"),
        extends,
        section<Scenario, RunSettings>("run", &Scenario::run, run_schema, "run settings"),
        section<Scenario, City>("city", &Scenario::city, city_schema, "the city"),
        section<Scenario, Population>("population", &Scenario::population, population_schema, "population"),
        named_map<Scenario, Service>("services", &Scenario::services, &Service::name, service_schema,
                                     "at least one service", "services by name (order kept)"),
        section<Scenario, Staffing>("staffing", &Scenario::staffing, staffing_schema, "staffing"),
        section<Scenario, FacilityPolicy>("facility", &Scenario::facility, facility_schema, "facility policy"),
        section<Scenario, Sizing>("sizing", &Scenario::sizing, sizing_schema, "community sizing"),
        section<Scenario, Funding>("funding", &Scenario::funding, funding_schema, "funding"),
        section<Scenario, Travel>("travel", &Scenario::travel, travel_schema, "travel"),
        list_of<Scenario, Shock>("shocks", &Scenario::shocks, shock_schema, "", "shocks during the run"),
        section<Scenario, ResidentNetworks>("networks", &Scenario::networks, networks_schema,
                                            "residents' own networks: a share of visits, falling with size"),
        section<Scenario, FindingsSettings>("findings", &Scenario::findings, findings_schema,
                                            "what `commsim findings` values (docs/findings.md)"),
        file_path("norms", &Scenario::norms_file,
                  "a norm set (scenarios/norms/*.yaml, docs/norms.md): its figures become the staffing, committee, "
                  "facility and funding rules, and compliance is judged against them; \"\" = none (Xi'an 2023)"),
        section<Scenario, CalibrationSettings>("calibration", &Scenario::calibration, calibration_schema,
                                               "what the calibration found (docs/calibration.md)"),
    };
    return schema;
  }();
  return s;
}

}  // namespace

Scenario scenario_from_tree(const Node& root) {
  Scenario scenario;
  scenario_schema().read(scenario, root, "");
  return scenario;
}

void read_community(CommunitySpec& community, const Node& row, const std::string& path) {
  community_schema().read(community, row, path);
}

Node scenario_to_tree(const Scenario& scenario) { return scenario_schema().write(scenario); }

NormSet norm_set_from_tree(const Node& root) {
  NormSet set;
  set.community_workers.given = set.committee.given = set.facility.given = set.funding.given = set.size.given = false;
  // A file's sections name their own sources (the defaults' are Xi'an's).
  set.source = set.community_workers.source = set.committee.source = set.facility.source = set.funding.source =
      set.size.source = "";
  norm_set_schema().read(set, root, "");
  return set;
}

std::vector<DocRow> norm_set_rows() {
  std::vector<DocRow> rows;
  norm_set_schema().doc(rows, "");
  return rows;
}

std::vector<DocRow> schema_rows() {
  std::vector<DocRow> rows;
  scenario_schema().doc(rows, "");
  return rows;
}

}  // namespace commsim::scenario_detail

#include "sim/population/population.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/core/csv.hpp"
#include "sim/core/error.hpp"
#include "sim/core/random.hpp"

namespace commsim {

namespace {

uint32_t draw_from_cdf(Stream& s, const std::vector<double>& cdf) {
  const double u = s.uniform() * cdf.back();
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return static_cast<uint32_t>(std::min<ptrdiff_t>(it - cdf.begin(), static_cast<ptrdiff_t>(cdf.size()) - 1));
}

StreamKey key(uint64_t seed, uint32_t replicate, uint64_t entity, Purpose purpose, uint32_t sub = 0) {
  return StreamKey{seed, replicate, entity, static_cast<uint32_t>(purpose), sub};
}

}  // namespace

AgeTable age_table(const std::vector<AgeBand>& bands, double outside) {
  AgeTable table(kMaxAge + 1, outside);
  for (const auto& b : bands)
    for (int a = std::max(0, b.from); a <= std::min(kMaxAge, b.to); ++a) table[static_cast<size_t>(a)] = b.value;
  return table;
}

PopulationModel::PopulationModel(const Population& p) {
  double acc = 0, mean = 0;
  for (size_t i = 0; i < p.household_size_shares.size(); ++i) {
    acc += p.household_size_shares[i];
    size_cdf.push_back(acc);
    mean += p.household_size_shares[i] * static_cast<double>(i + 1);
  }
  mean_household_size = acc > 0 ? mean / acc : 0;
  // Single-year age distribution: each band's share spread evenly over its years.
  std::vector<double> per_age(kMaxAge + 1, 0.0);
  for (const auto& b : p.age_shares) {
    const int from = std::max(0, b.from), to = std::min(kMaxAge, b.to);
    if (to < from) continue;
    for (int a = from; a <= to; ++a) per_age[static_cast<size_t>(a)] += b.value / (to - from + 1);
  }
  acc = 0;
  for (double v : per_age) age_cdf.push_back(acc += v);
  partial.assign(kMaxAge + 1, 0.0);
  full.assign(kMaxAge + 1, 0.0);
  for (const auto& b : p.dependency)
    for (int a = std::max(0, b.from); a <= std::min(kMaxAge, b.to); ++a) {
      partial[static_cast<size_t>(a)] = b.partial;
      full[static_cast<size_t>(a)] = b.full;
    }
  hypertension = age_table(p.hypertension);
  diabetes = age_table(p.diabetes);
  mortality = age_table(p.dynamics.mortality_per_year);
  onset_partial.assign(kMaxAge + 1, 0.0);
  onset_full.assign(kMaxAge + 1, 0.0);
  for (const auto& b : p.dynamics.onset_per_year)
    for (int a = std::max(0, b.from); a <= std::min(kMaxAge, b.to); ++a) {
      onset_partial[static_cast<size_t>(a)] = b.partial;
      onset_full[static_cast<size_t>(a)] = b.full;
    }
  male_share = p.male_share;
  low_income_share = p.low_income_share;
  income_median_month = p.income.median_per_capita_yuan / 12.0;
  income_sigma = p.income.sigma;
}

float household_income_month(const PopulationModel& model, uint64_t seed, uint32_t replicate, uint64_t gid, int size) {
  Stream s(key(seed, replicate, gid, Purpose::population, 2));
  return static_cast<float>(model.income_median_month * std::exp(model.income_sigma * s.normal()) * std::max(1, size));
}

void Residents::clear() {
  hh_gid.clear(); hh_first.clear(); hh_size.clear(); hh_low_income.clear();
  hh_x_m.clear(); hh_y_m.clear(); hh_next_slot.clear(); hh_type.clear(); hh_income_month.clear(); hh_generations.clear();
  age.clear(); traits.clear(); household.clear(); slot.clear(); enrolled.clear();
}

void Residents::reserve(size_t households_n, size_t residents_n) {
  hh_gid.reserve(households_n); hh_first.reserve(households_n); hh_size.reserve(households_n);
  hh_low_income.reserve(households_n); hh_x_m.reserve(households_n); hh_y_m.reserve(households_n);
  hh_next_slot.reserve(households_n); hh_type.reserve(households_n); hh_income_month.reserve(households_n);
  hh_generations.reserve(households_n);
  age.reserve(residents_n); traits.reserve(residents_n); household.reserve(residents_n);
  slot.reserve(residents_n); enrolled.reserve(residents_n);
}

void Residents::append_household(const Residents& from, size_t h) {
  const uint32_t local = static_cast<uint32_t>(hh_gid.size());
  hh_gid.push_back(from.hh_gid[h]);
  hh_first.push_back(static_cast<uint32_t>(age.size()));
  hh_size.push_back(from.hh_size[h]);
  hh_low_income.push_back(from.hh_low_income[h]);
  hh_x_m.push_back(from.hh_x_m[h]);
  hh_y_m.push_back(from.hh_y_m[h]);
  hh_next_slot.push_back(from.hh_next_slot[h]);
  hh_type.push_back(from.hh_type[h]);
  hh_income_month.push_back(from.hh_income_month[h]);
  hh_generations.push_back(from.hh_generations[h]);
  const size_t first = from.hh_first[h];
  for (size_t r = first; r < first + from.hh_size[h]; ++r) {
    age.push_back(from.age[r]);
    traits.push_back(from.traits[r]);
    household.push_back(local);
    slot.push_back(from.slot[r]);
    enrolled.push_back(from.enrolled[r]);
  }
}

size_t Residents::bytes() const {
  return hh_gid.capacity() * 8 + hh_first.capacity() * 4 + hh_size.capacity() + hh_low_income.capacity() +
         hh_x_m.capacity() * 4 + hh_y_m.capacity() * 4 + hh_next_slot.capacity() + hh_type.capacity() +
         hh_income_month.capacity() * 4 + hh_generations.capacity() + age.capacity() +
         traits.capacity() + household.capacity() * 4 + slot.capacity() + enrolled.capacity();
}

size_t Residents::family_households() const {
  return static_cast<size_t>(std::count_if(hh_type.begin(), hh_type.end(), [](uint8_t t) {
    return t != static_cast<uint8_t>(HouseholdType::collective);
  }));
}

void Residents::classify(size_t h) {
  if (hh_type[h] == static_cast<uint8_t>(HouseholdType::collective)) return;
  hh_type[h] = static_cast<uint8_t>(classify_household(age.data() + hh_first[h], hh_size[h]));
}

void draw_resident(const PopulationModel& model, uint64_t seed, uint32_t replicate, uint64_t gid,
                   int age, uint8_t& age_out, uint8_t& traits_out, int sex) {
  Stream s(key(seed, replicate, gid, Purpose::population));
  const int a = age >= 0 ? std::min(age, kMaxAge) : static_cast<int>(draw_from_cdf(s, model.age_cdf));
  const double u_sex = s.uniform(), u_dep = s.uniform(), u_ht = s.uniform(), u_db = s.uniform();
  uint8_t t = 0;
  if (sex == 0 || (sex < 0 && u_sex < model.male_share)) t |= trait::male;
  const size_t ai = static_cast<size_t>(a);
  Dependency dep = Dependency::none;
  if (u_dep < model.full[ai]) dep = Dependency::full;
  else if (u_dep < model.full[ai] + model.partial[ai]) dep = Dependency::partial;
  t |= static_cast<uint8_t>(static_cast<uint8_t>(dep) << trait::dep_shift);
  if (u_ht < model.hypertension[ai]) t |= trait::hypertension;
  if (u_db < model.diabetes[ai]) t |= trait::diabetes;
  age_out = static_cast<uint8_t>(a);
  traits_out = t;
}

namespace {

// Generations of a household drawn from marginals: the age groups present (0-17, 18-59, 60+).
uint8_t generations_by_age(const Residents& res, size_t h) {
  bool minor = false, adult = false, elder = false;
  for (size_t r = res.hh_first[h]; r < res.hh_first[h] + res.hh_size[h]; ++r) {
    minor = minor || res.age[r] < 18;
    elder = elder || res.age[r] >= 60;
    adult = adult || (res.age[r] >= 18 && res.age[r] < 60);
  }
  return static_cast<uint8_t>(std::max(1, minor + adult + elder));
}

void add_member(Residents& out, uint32_t household, uint8_t age, uint8_t traits, int slot) {
  out.age.push_back(age);
  out.traits.push_back(traits);
  out.household.push_back(household);
  out.slot.push_back(static_cast<uint8_t>(slot));
  out.enrolled.push_back(0);
}

// Fills one household's members (size drawn from the household's own stream).
void fill_household(const PopulationModel& model, uint64_t seed, uint32_t replicate, uint64_t hh_gid,
                    float x, float y, Residents& out) {
  Stream s(key(seed, replicate, hh_gid, Purpose::population));
  const int size = static_cast<int>(draw_from_cdf(s, model.size_cdf)) + 1;
  const uint8_t low_income = s.uniform() < model.low_income_share ? 1 : 0;
  const uint32_t local = static_cast<uint32_t>(out.hh_gid.size());
  out.hh_gid.push_back(hh_gid);
  out.hh_first.push_back(static_cast<uint32_t>(out.age.size()));
  out.hh_size.push_back(static_cast<uint8_t>(size));
  out.hh_low_income.push_back(low_income);
  out.hh_x_m.push_back(x);
  out.hh_y_m.push_back(y);
  out.hh_next_slot.push_back(static_cast<uint8_t>(size));
  out.hh_type.push_back(0);
  out.hh_income_month.push_back(household_income_month(model, seed, replicate, hh_gid, size));
  for (int m = 0; m < size; ++m) {
    uint8_t a = 0, t = 0;
    draw_resident(model, seed, replicate, hh_gid * kMaxHouseholdSize + static_cast<uint64_t>(m), -1, a, t);
    add_member(out, local, a, t, m);
  }
  out.hh_generations.push_back(generations_by_age(out, local));
  out.classify(local);
}

// A family household from the district's templates (households.hpp), or one resident in
// collective living: members' ages and sexes from the household's own stream, their other traits
// as any resident's of that age.
void fill_census_household(const PopulationModel& model, const DistrictHouseholds& district, bool collective,
                           uint64_t seed, uint32_t replicate, uint64_t hh_gid, float x, float y, Residents& out) {
  Stream s(key(seed, replicate, hh_gid, Purpose::population, 1));
  DrawnMember members[kMaxTemplateMembers];
  int size = 1;
  HouseholdTemplate drawn = HouseholdTemplate::single_adult;
  if (collective) members[0] = draw_collective(district, s);
  else size = draw_household(district, s.uniform(), s, members, &drawn);
  const uint32_t local = static_cast<uint32_t>(out.hh_gid.size());
  out.hh_gid.push_back(hh_gid);
  out.hh_first.push_back(static_cast<uint32_t>(out.age.size()));
  out.hh_size.push_back(static_cast<uint8_t>(size));
  out.hh_low_income.push_back(s.uniform() < model.low_income_share ? 1 : 0);
  out.hh_x_m.push_back(x);
  out.hh_y_m.push_back(y);
  out.hh_next_slot.push_back(static_cast<uint8_t>(size));
  out.hh_type.push_back(static_cast<uint8_t>(collective ? HouseholdType::collective : HouseholdType::single_adult));
  out.hh_income_month.push_back(household_income_month(model, seed, replicate, hh_gid, size));
  for (int m = 0; m < size; ++m) {
    uint8_t a = 0, t = 0;
    draw_resident(model, seed, replicate, hh_gid * kMaxHouseholdSize + static_cast<uint64_t>(m), members[m].age, a, t,
                  members[m].male ? 0 : 1);
    add_member(out, local, a, t, m);
  }
  out.hh_generations.push_back(static_cast<uint8_t>(template_shape(drawn).generations));
  out.classify(local);
}

}  // namespace

void generate_households(const PopulationModel& model, const Population& population, uint64_t seed,
                         uint32_t replicate, uint64_t gid_base, int64_t households, double cx_m,
                         double cy_m, double area_km2, Residents& out, const DistrictHouseholds* district,
                         int64_t collective) {
  const double side_m = std::sqrt(std::max(area_km2, 1e-9)) * 1000.0;
  const bool clustered = population.placement == "clustered";
  const int blocks = clustered ? std::max(1, static_cast<int>(std::lround(population.blocks_per_km2 * area_km2))) : 0;
  std::vector<float> block_x(static_cast<size_t>(blocks)), block_y(static_cast<size_t>(blocks));
  if (clustered) {
    Stream bs(key(seed, replicate, gid_base, Purpose::placement, 1));
    for (int b = 0; b < blocks; ++b) {
      block_x[static_cast<size_t>(b)] = static_cast<float>(cx_m + (bs.uniform() - 0.5) * side_m);
      block_y[static_cast<size_t>(b)] = static_cast<float>(cy_m + (bs.uniform() - 0.5) * side_m);
    }
  }
  if (!district) collective = 0;
  const size_t expect = static_cast<size_t>(households + collective);
  const double mean_size = district ? district->expected_size : model.mean_household_size;
  out.reserve(out.hh_gid.size() + expect, out.age.size() + static_cast<size_t>(static_cast<double>(households) * (mean_size + 0.5)) +
                                              static_cast<size_t>(collective));
  for (int64_t h = 0; h < households + collective; ++h) {
    const uint64_t gid = gid_base + static_cast<uint64_t>(h);
    Stream ps(key(seed, replicate, gid, Purpose::placement));
    double x, y;
    if (clustered) {
      const auto b = static_cast<size_t>(ps.bits32() % static_cast<uint32_t>(blocks));
      x = block_x[b] + ps.normal() * population.block_radius_m;
      y = block_y[b] + ps.normal() * population.block_radius_m;
      // Keep households inside the community's footprint.
      x = std::clamp(x, cx_m - side_m / 2, cx_m + side_m / 2);
      y = std::clamp(y, cy_m - side_m / 2, cy_m + side_m / 2);
    } else {
      x = cx_m + (ps.uniform() - 0.5) * side_m;
      y = cy_m + (ps.uniform() - 0.5) * side_m;
    }
    if (district) fill_census_household(model, *district, h >= households, seed, replicate, gid, static_cast<float>(x),
                                        static_cast<float>(y), out);
    else fill_household(model, seed, replicate, gid, static_cast<float>(x), static_cast<float>(y), out);
  }
}

DynamicsCounts step_year(const PopulationModel& model, const Population& population, uint64_t seed,
                         uint32_t replicate, int year, double /*cx_m*/, double /*cy_m*/, double /*area_km2*/,
                         Residents& res, Residents& next, const DistrictHouseholds* district) {
  DynamicsCounts counts;
  const Dynamics& dyn = population.dynamics;
  next.clear();
  next.reserve(res.households(), res.size() + res.size() / 50 + 16);
  const uint32_t sub = static_cast<uint32_t>(year);
  for (size_t h = 0; h < res.households(); ++h) {
    const uint64_t hh_gid = res.hh_gid[h];
    Stream hs(key(seed, replicate, hh_gid, Purpose::dynamics, sub));
    // Residents in collective living (students, workers in dormitories) are renewed every year.
    const bool collective = res.hh_type[h] == static_cast<uint8_t>(HouseholdType::collective);
    const bool turnover = hs.uniform() < dyn.household_turnover_per_year || collective;
    const double u_birth = hs.uniform();
    const uint32_t local = static_cast<uint32_t>(next.hh_gid.size());
    const uint32_t first = static_cast<uint32_t>(next.age.size());
    uint8_t next_slot = res.hh_next_slot[h];
    int members = 0;
    if (!turnover) {
      for (size_t r = res.hh_first[h]; r < res.hh_first[h] + res.hh_size[h]; ++r) {
        Stream rs(key(seed, replicate, res.gid(r), Purpose::dynamics, sub));
        const double u_death = rs.uniform(), u_onset = rs.uniform();
        const size_t a = res.age[r];
        if (u_death < model.mortality[a]) { ++counts.deaths; continue; }
        uint8_t t = res.traits[r];
        const auto dep = static_cast<Dependency>((t & trait::dep_mask) >> trait::dep_shift);
        Dependency nd = dep;
        if (dep == Dependency::none && u_onset < model.onset_partial[a]) nd = Dependency::partial;
        else if (dep == Dependency::partial && u_onset < model.onset_full[a]) nd = Dependency::full;
        if (nd != dep) {
          ++counts.onsets;
          t = static_cast<uint8_t>((t & ~trait::dep_mask) | (static_cast<uint8_t>(nd) << trait::dep_shift));
        }
        // Chronic conditions start as people age, so that prevalence by age stays as configured:
        // onset probability (p(a+1) - p(a)) / (1 - p(a)) for those without the condition.
        const size_t a1 = std::min<size_t>(kMaxAge, a + 1);
        const double u_ht = rs.uniform(), u_db = rs.uniform();
        auto onset = [](const AgeTable& p, size_t from, size_t to) {
          return p[to] > p[from] && p[from] < 1.0 ? (p[to] - p[from]) / (1.0 - p[from]) : 0.0;
        };
        if (!(t & trait::hypertension) && u_ht < onset(model.hypertension, a, a1)) t |= trait::hypertension;
        if (!(t & trait::diabetes) && u_db < onset(model.diabetes, a, a1)) t |= trait::diabetes;
        next.age.push_back(static_cast<uint8_t>(a1));
        next.traits.push_back(t);
        next.household.push_back(local);
        next.slot.push_back(res.slot[r]);
        next.enrolled.push_back(res.enrolled[r]);
        ++members;
      }
      // Births: expected births_per_1000 per 1,000 residents, drawn per household.
      const double p_birth = std::min(1.0, dyn.births_per_1000 / 1000.0 * res.hh_size[h]);
      if (members > 0 && u_birth < p_birth && next_slot < kMaxHouseholdSize) {
        uint8_t a = 0, t = 0;
        draw_resident(model, seed, replicate, hh_gid * kMaxHouseholdSize + next_slot, 0, a, t);
        next.age.push_back(0);
        next.traits.push_back(t);
        next.household.push_back(local);
        next.slot.push_back(next_slot);
        next.enrolled.push_back(0);
        ++next_slot;
        ++members;
        ++counts.births;
      }
    }
    if (members == 0) {
      // Moved out or died out: a newcomer household takes the dwelling, with a new stable id.
      ++counts.households_replaced;
      const uint64_t new_gid = (static_cast<uint64_t>(year + 1) << 36) | (hh_gid & ((1ull << 36) - 1));
      if (district) fill_census_household(model, *district, collective, seed, replicate, new_gid, res.hh_x_m[h], res.hh_y_m[h], next);
      else fill_household(model, seed, replicate, new_gid, res.hh_x_m[h], res.hh_y_m[h], next);
      continue;
    }
    next.hh_gid.push_back(hh_gid);
    next.hh_first.push_back(first);
    next.hh_size.push_back(static_cast<uint8_t>(members));
    next.hh_low_income.push_back(res.hh_low_income[h]);
    next.hh_x_m.push_back(res.hh_x_m[h]);
    next.hh_y_m.push_back(res.hh_y_m[h]);
    next.hh_next_slot.push_back(next_slot);
    next.hh_type.push_back(res.hh_type[h]);
    next.hh_income_month.push_back(res.hh_income_month[h]);
    next.hh_generations.push_back(res.hh_generations[h]);
    next.classify(local);
  }
  std::swap(res, next);
  return counts;
}

// ------------------------------------------------------------------ household file
namespace {

const char* const kHouseholdColumns = "household,community,x_m,y_m,low_income,age,sex,dependency,hypertension,diabetes";

// One member row of the households file, checked.
struct MemberRow {
  uint64_t household = 0;
  std::string community;
  double x = 0, y = 0;
  int low_income = 0, age = 0, dependency = 0, hypertension = 0, diabetes = 0;
  bool male = false;
};

MemberRow read_member(const csv::Row& row) {
  MemberRow m;
  m.household = static_cast<uint64_t>(row.number("household", 0, 4.0e9));
  m.community = row.text("community");
  if (m.community.empty()) row.fail("community", "column 'community' is empty");
  m.x = row.number("x_m", -1e8, 1e8);
  m.y = row.number("y_m", -1e8, 1e8);
  m.low_income = static_cast<int>(row.number("low_income", 0, 1));
  m.age = static_cast<int>(row.number("age", 0, kMaxAge));
  const std::string& sex = row.text("sex");
  if (sex != "m" && sex != "f") row.fail("sex", "column 'sex': '" + sex + "' is not one of: m, f");
  m.male = sex == "m";
  const std::string& dep = row.text("dependency");
  m.dependency = dep == "none" ? 0 : dep == "partial" ? 1 : dep == "full" ? 2 : -1;
  if (m.dependency < 0)
    row.fail("dependency", "column 'dependency': '" + dep + "' is not one of: none, partial, full");
  m.hypertension = static_cast<int>(row.number("hypertension", 0, 1));
  m.diabetes = static_cast<int>(row.number("diabetes", 0, 1));
  return m;
}

// Appends member `m` to its household in `res` (a new household when `fresh`).
void add_member(Residents& res, const MemberRow& m, uint32_t local, bool fresh) {
  if (fresh) {
    res.hh_gid.push_back(m.household);
    res.hh_first.push_back(static_cast<uint32_t>(res.age.size()));
    res.hh_size.push_back(0);
    res.hh_low_income.push_back(static_cast<uint8_t>(m.low_income));
    res.hh_x_m.push_back(static_cast<float>(m.x));
    res.hh_y_m.push_back(static_cast<float>(m.y));
    res.hh_next_slot.push_back(0);
    res.hh_type.push_back(0);
    res.hh_income_month.push_back(0.0f);  // filled by the city builder from the income model
    res.hh_generations.push_back(1);      // set from the members' ages after loading
  }
  const uint8_t t = static_cast<uint8_t>((m.male ? trait::male : 0) | (m.dependency << trait::dep_shift) |
                                         (m.hypertension ? trait::hypertension : 0) | (m.diabetes ? trait::diabetes : 0));
  res.age.push_back(static_cast<uint8_t>(m.age));
  res.traits.push_back(t);
  res.household.push_back(local);
  res.slot.push_back(res.hh_next_slot[local]);
  res.enrolled.push_back(0);
  ++res.hh_size[local];
  ++res.hh_next_slot[local];
}

}  // namespace

std::vector<LoadedCommunity> load_households_csv(const std::string& path) {
  const std::string key = "population.households_file";
  std::vector<csv::Record> records = csv::parse(path, csv::read_file(path, "household file", key), key);
  if (records.empty())
    throw InputError(SourcePos{path, 1, 1}, key, std::string("empty file: expected a header row (") + kHouseholdColumns + ")");
  std::string header;
  for (const csv::Cell& c : records.front().cells) header += (header.empty() ? "" : ",") + c.text;
  if (header != kHouseholdColumns)
    throw InputError(SourcePos{path, records.front().line, 1}, key, std::string("header must be exactly: ") + kHouseholdColumns);
  const csv::Table table(path, std::move(records), key, "households_file.");
  std::vector<LoadedCommunity> out;
  std::map<std::string, size_t> index;
  std::map<std::pair<size_t, uint64_t>, uint32_t> household_of;  // (community, household id) -> local
  for (size_t r = 0; r < table.rows(); ++r) {
    const csv::Row row(table, r);
    const MemberRow m = read_member(row);
    auto [it, fresh] = index.try_emplace(m.community, out.size());
    if (fresh) out.push_back(LoadedCommunity{m.community, {}});
    Residents& res = out[it->second].residents;
    auto [hit, new_hh] = household_of.try_emplace({it->second, m.household}, static_cast<uint32_t>(res.hh_gid.size()));
    const uint32_t local = hit->second;
    if (!new_hh && local + 1 != res.hh_gid.size())
      row.fail("household", "members of household " + row.text("household") + " must be on consecutive rows");
    if (!new_hh && res.hh_size[local] >= kMaxHouseholdSize)
      row.fail("household", "household " + row.text("household") + " has more than " +
                                std::to_string(kMaxHouseholdSize) + " members");
    add_member(res, m, local, new_hh);
  }
  if (out.empty())
    throw InputError(SourcePos{path, table.header().line, 0}, "population.households_file", "no residents in the file");
  for (auto& c : out)
    for (size_t h = 0; h < c.residents.households(); ++h) {
      c.residents.classify(h);
      c.residents.hh_generations[h] = generations_by_age(c.residents, h);
    }
  return out;
}

}  // namespace commsim

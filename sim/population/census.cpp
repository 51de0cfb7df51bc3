#include "sim/population/census.hpp"

#include "sim/core/csv.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace commsim {

namespace {

// Counts in the county volume are full-enumeration integers: every one of the 3,312 coded rows of
// the shipped table sums exactly (bands to sex totals, generations to households, urban + rural to
// the total, and so on), so a difference of even one person means a transcription error. Counts
// are therefore compared exactly. Published ratios (户规模, 人口比重_*) are printed with two
// decimals, so they must match the counts within half a unit of the last printed digit.
constexpr double kTwoDecimalTolerance = 0.005 + 1e-9;
constexpr int64_t kMaxCount = 2'000'000'000;  // above China's 1.41e9 residents: a typo, not a count

const char* const kBandLabels[kCensusAgeBands] = {"0岁",     "1到4岁",   "5到9岁",   "10到14岁", "15到19岁",
                                                  "20到24岁", "25到29岁", "30到34岁", "35到39岁", "40到44岁",
                                                  "45到49岁", "50到54岁", "55到59岁", "60到64岁", "65到69岁",
                                                  "70到74岁", "75到79岁", "80到84岁", "85岁以上"};
const char* const kSexLabels[2] = {"男", "女"};
const char* const kGenerationColumns[4] = {"一代户数", "二代户数", "三代户数", "四代以上户数"};
const char* const kElderSplitColumns[3] = {"有一个老人", "有二个老人", "有三个及以上老人"};
const char* const kAgeShareColumns[3] = {"人口比重_0-14岁", "人口比重_15-64岁", "人口比重_65岁及以上"};
const char* const kRegisteredElsewhereColumns[3] = {"户口登记地在外乡镇街道人口_本县",
                                                    "户口登记地在外乡镇街道人口_本省其他县",
                                                    "户口登记地在外乡镇街道人口_省外"};
const char* const kMaritalColumns[5] = {"十五岁以上人口", "未婚", "有配偶", "离婚", "丧偶"};
const char* const kTenureColumns[5] = {"住房来源_租赁", "住房来源_自建", "住房来源_购买", "住房来源_继承或赠予",
                                       "住房来源_其他"};

// Column names built once: 男_0岁 ... 女_85岁以上 (index sex * kCensusAgeBands + band), and the 15
// marital-status columns (index status * 3 + {total, 男, 女}).
const std::string& band_column(int sex, int band) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int s = 0; s < 2; ++s)
      for (int b = 0; b < kCensusAgeBands; ++b) v.push_back(std::string(kSexLabels[s]) + "_" + kBandLabels[b]);
    return v;
  }();
  return names[static_cast<size_t>(sex * kCensusAgeBands + band)];
}
const std::string& marital_column(int status, int sex_or_total) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const char* m : kMaritalColumns)
      for (const char* suffix : {"", "_男", "_女"}) v.push_back(std::string(m) + suffix);
    return v;
  }();
  return names[static_cast<size_t>(status * 3 + sex_or_total)];
}

// The columns every row must have; everything else is optional (read when the header has it).
std::vector<std::string> required_columns() {
  std::vector<std::string> columns = {"区划代码", "省", "市", "区县", "人口数_合计", "人口数_男", "人口数_女",
                                      "城镇人口", "乡村人口", "家庭户数", "家庭户人口数", "户规模", "一人户数"};
  for (const char* c : kGenerationColumns) columns.emplace_back(c);
  for (int sex = 0; sex < 2; ++sex)
    for (int band = 0; band < kCensusAgeBands; ++band) columns.push_back(band_column(sex, band));
  columns.emplace_back("有65岁及以上老年人口的户数");
  for (const char* c : kElderSplitColumns) columns.emplace_back(c);
  return columns;
}

std::string with_thousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

// ---------------------------------------------------------------- one row
class RowReader {
 public:
  explicit RowReader(const csv::Row& row) : row_(row) {}

  bool has(std::string_view column) const { return row_.has(column); }
  const csv::Cell& cell(std::string_view column) const { return row_.cell(column); }
  [[noreturn]] void fail(std::string_view column, const std::string& message) const { row_.fail(column, message); }
  std::string text(std::string_view column) const {
    const std::string& t = cell(column).text;
    if (t.empty() || t == "NA") fail(column, "empty; expected a name");
    return t;
  }
  // A count that must be given (a total, or a row's own code).
  int64_t total(std::string_view column) const {
    const std::string& t = cell(column).text;
    if (t == "NA" || t.empty())
      fail(column, "missing value: a total must be a whole number from 0 to " + with_thousands(kMaxCount));
    return parse_count(column, t);
  }
  // A count within a breakdown (an age band, a generation, ...): NA is the volume's empty cell,
  // that is zero; the row's sums hold exactly with that reading.
  int64_t part(std::string_view column) const {
    const std::string& t = cell(column).text;
    return t == "NA" || t.empty() ? 0 : parse_count(column, t);
  }
  // An optional column: absent from the header or NA on this row gives nullopt.
  std::optional<int64_t> optional_count(std::string_view column) const {
    if (!has(column)) return std::nullopt;
    const std::string& t = cell(column).text;
    if (t == "NA" || t.empty()) return std::nullopt;
    return parse_count(column, t);
  }
  double real(std::string_view column, double lo, double hi) const { return row_.number(column, lo, hi); }
  std::optional<double> optional_real(std::string_view column, double lo, double hi) const {
    if (!has(column)) return std::nullopt;
    const std::string& t = cell(column).text;
    if (t == "NA" || t.empty()) return std::nullopt;
    return real(column, lo, hi);
  }

 private:
  int64_t parse_count(std::string_view column, const std::string& t) const {
    bool digits = !t.empty() && t.size() <= 10;
    for (char c : t) digits = digits && c >= '0' && c <= '9';
    int64_t v = 0;
    if (digits)  // at most 10 digits: no overflow
      for (char c : t) v = v * 10 + (c - '0');
    if (!digits || v > kMaxCount)
      fail(column, "'" + t + "' is not a count: expected a whole number from 0 to " + with_thousands(kMaxCount) +
                       " (or NA for an empty cell of a breakdown)");
    return v;
  }

  const csv::Row& row_;
};

// `sum_of` parts must equal `whole`: an InputError at the whole's cell otherwise.
void require_sum(const RowReader& row, std::string_view whole_column, int64_t whole, int64_t sum,
                 std::string_view parts) {
  if (sum == whole) return;
  row.fail(whole_column, std::string(parts) + " sum to " + with_thousands(sum) + " but " + std::string(whole_column) +
                             " is " + with_thousands(whole) + "; they must be equal (census counts are exact)");
}

void require_at_most(const RowReader& row, std::string_view column, int64_t value, std::string_view bound_column,
                     int64_t bound) {
  if (value <= bound) return;
  row.fail(column, with_thousands(value) + " is more than " + std::string(bound_column) + " (" +
                       with_thousands(bound) + "); it must be at most that");
}

void require_rounded(const RowReader& row, std::string_view column, double published, double computed,
                     std::string_view from) {
  if (std::fabs(published - computed) <= kTwoDecimalTolerance) return;
  std::ostringstream msg;
  msg.precision(6);
  msg << published << " does not match " << from << " = " << computed
      << "; the published value must be that rounded to two decimals (within 0.005)";
  row.fail(column, msg.str());
}

// Optional groups: read when every column of the group is in the header and none is NA.
bool all_present(const RowReader& row, std::initializer_list<std::string_view> columns) {
  for (const auto& column : columns)
    if (!row.has(column) || row.cell(column).text == "NA" || row.cell(column).text.empty()) return false;
  return true;
}

// The unit, its residents by sex, urban and rural, and by age band.
void read_population(const RowReader& row, CountyCensus& c) {
  c.line = row.cell("区划代码").line;
  c.code = row.cell("区划代码").text;
  bool six_digits = c.code.size() == 6;
  for (char ch : c.code) six_digits = six_digits && ch >= '0' && ch <= '9';
  if (!six_digits)
    row.fail("区划代码", "'" + c.code + "' is not a 6-digit administrative code (e.g. 610102 for 西安市新城区)");
  c.province = row.text("省");
  c.city = row.text("市");
  c.county = row.text("区县");

  c.population = row.total("人口数_合计");
  c.population_by_sex = {row.total("人口数_男"), row.total("人口数_女")};
  require_sum(row, "人口数_合计", c.population, c.population_by_sex[0] + c.population_by_sex[1],
              "人口数_男 + 人口数_女");
  c.urban = row.total("城镇人口");
  c.rural = row.total("乡村人口");
  require_sum(row, "人口数_合计", c.population, c.urban + c.rural, "城镇人口 + 乡村人口");
  c.urban_core = row.optional_count("城区人口");
  if (c.urban_core) require_at_most(row, "城区人口", *c.urban_core, "城镇人口", c.urban);

  for (int sex = 0; sex < 2; ++sex) {
    int64_t sum = 0;
    for (int band = 0; band < kCensusAgeBands; ++band)
      sum += c.age_band_population[sex][band] = row.part(band_column(sex, band));
    static const char* const kTotal[2] = {"人口数_男", "人口数_女"};
    static const char* const kParts[2] = {"the age bands 男_0岁 ... 男_85岁以上", "the age bands 女_0岁 ... 女_85岁以上"};
    require_sum(row, kTotal[sex], c.population_by_sex[sex], sum, kParts[sex]);
  }

}

// Family households: size, generations, one-person households, households with elders.
void read_households(const RowReader& row, CountyCensus& c) {
  c.family_households = row.total("家庭户数");
  c.family_household_population = row.total("家庭户人口数");
  require_at_most(row, "家庭户人口数", c.family_household_population, "人口数_合计", c.population);
  require_at_most(row, "家庭户数", c.family_households, "家庭户人口数", c.family_household_population);
  c.mean_household_size = row.real("户规模", 0, 20);
  if (c.family_households > 0)
    require_rounded(row, "户规模", c.mean_household_size, c.computed_mean_household_size(), "家庭户人口数 / 家庭户数");
  c.one_person_households = row.total("一人户数");
  int64_t generations = 0;
  for (int g = 0; g < 4; ++g) generations += c.generation_households[g] = row.part(kGenerationColumns[g]);
  require_sum(row, "家庭户数", c.family_households, generations, "一代户数 + 二代户数 + 三代户数 + 四代以上户数");
  require_at_most(row, "一人户数", c.one_person_households, "一代户数", c.generation_households[0]);

  c.households_with_65_plus = row.total("有65岁及以上老年人口的户数");
  int64_t split = 0;
  for (int k = 0; k < 3; ++k) split += c.households_by_65_plus_members[k] = row.part(kElderSplitColumns[k]);
  require_sum(row, "有65岁及以上老年人口的户数", c.households_with_65_plus, split,
              "有一个老人 + 有二个老人 + 有三个及以上老人");
  require_at_most(row, "有65岁及以上老年人口的户数", c.households_with_65_plus, "家庭户数", c.family_households);

}

// The optional groups: published age shares, registration elsewhere, schooling.
void read_optional(const RowReader& row, CountyCensus& c) {
  if (all_present(row, {kAgeShareColumns[0], kAgeShareColumns[1], kAgeShareColumns[2]})) {
    std::array<double, 3> shares{};
    for (int k = 0; k < 3; ++k) shares[k] = row.real(kAgeShareColumns[k], 0, 100);
    c.published_age_shares_pct = shares;
    if (c.population > 0) {
      require_rounded(row, kAgeShareColumns[0], shares[0], 100.0 * c.share_aged(0, 14), "100 x ages 0-14 / 人口数_合计");
      require_rounded(row, kAgeShareColumns[2], shares[2], 100.0 * c.share_aged(65, kCensusOpenAge),
                      "100 x ages 65+ / 人口数_合计");
    }
  }
  if (all_present(row, {kRegisteredElsewhereColumns[0], kRegisteredElsewhereColumns[1], kRegisteredElsewhereColumns[2]})) {
    std::array<int64_t, 3> registered{};
    for (int k = 0; k < 3; ++k) registered[k] = row.total(kRegisteredElsewhereColumns[k]);
    c.registered_elsewhere = registered;
  }
  c.mean_years_of_schooling = row.optional_real("平均受教育年限_合计", 0, 25);

}

// The long form's marital status of people aged 15+ (optional).
void read_marital(const RowReader& row, CountyCensus& c) {
  bool marital_present = true;
  for (int status = 0; status < 5; ++status)
    for (int s = 0; s < 3; ++s) marital_present = marital_present && all_present(row, {marital_column(status, s)});
  if (marital_present) {
    CensusMaritalSample m;
    std::array<int64_t, 3>* fields[5] = {&m.aged_15_plus, &m.never_married, &m.married, &m.divorced, &m.widowed};
    for (int status = 0; status < 5; ++status)
      for (int s = 0; s < 3; ++s) (*fields[status])[s] = row.total(marital_column(status, s));
    for (int status = 0; status < 5; ++status)
      if ((*fields[status])[1] + (*fields[status])[2] != (*fields[status])[0])
        require_sum(row, marital_column(status, 0), (*fields[status])[0], (*fields[status])[1] + (*fields[status])[2],
                    marital_column(status, 1) + " + " + marital_column(status, 2));
    static const char* const kStatusSum[3] = {"未婚 + 有配偶 + 离婚 + 丧偶", "未婚_男 + 有配偶_男 + 离婚_男 + 丧偶_男",
                                              "未婚_女 + 有配偶_女 + 离婚_女 + 丧偶_女"};
    for (int s = 0; s < 3; ++s)
      require_sum(row, marital_column(0, s), m.aged_15_plus[s],
                  m.never_married[s] + m.married[s] + m.divorced[s] + m.widowed[s], kStatusSum[s]);
    c.marital_sample = m;
  }

}

// Housing (optional): rooms, floor area, lift, car, tenure.
void read_housing(const RowReader& row, CountyCensus& c) {
  if (all_present(row, {"家庭户户数", "平均每户住房间数", "人均住房建筑面积"})) {
    CensusHousing h;
    h.households = row.total("家庭户户数");
    h.rooms_per_household = row.real("平均每户住房间数", 0, 50);
    h.floor_area_m2_per_person = row.real("人均住房建筑面积", 0, 1000);
    h.long_form_households = row.optional_count("家庭户户数_长表");
    h.with_lift = row.optional_count("住房所在建筑有电梯");
    h.with_car = row.optional_count("拥有家用汽车");
    if (h.long_form_households) {
      if (h.with_lift) require_at_most(row, "住房所在建筑有电梯", *h.with_lift, "家庭户户数_长表", *h.long_form_households);
      if (h.with_car) require_at_most(row, "拥有家用汽车", *h.with_car, "家庭户户数_长表", *h.long_form_households);
      bool tenure_present = true;
      for (const char* column : kTenureColumns) tenure_present = tenure_present && row.has(column);
      if (tenure_present) {
        std::array<int64_t, 5> tenure{};
        int64_t sum = 0;
        for (int k = 0; k < 5; ++k) sum += tenure[k] = row.part(kTenureColumns[k]);
        require_sum(row, "家庭户户数_长表", *h.long_form_households, sum, "住房来源_租赁 ... 住房来源_其他");
        h.tenure = tenure;
      }
    }
    c.housing = h;
  }
}

CountyCensus read_row(const RowReader& row) {
  CountyCensus c;
  read_population(row, c);
  read_households(row, c);
  read_optional(row, c);
  read_marital(row, c);
  read_housing(row, c);
  return c;
}

}  // namespace

// ---------------------------------------------------------------- CountyCensus
int64_t CountyCensus::population_aged(int first_age, int last_age) const {
  int first_band = -1, last_band = -1;
  for (int b = 0; b < kCensusAgeBands; ++b) {
    const int band_last = b + 1 < kCensusAgeBands ? kCensusBandFirstAge[b + 1] - 1 : kCensusOpenAge;
    if (kCensusBandFirstAge[b] == first_age) first_band = b;
    if (band_last == last_age) last_band = b;
  }
  if (first_band < 0 || last_band < first_band)
    throw std::invalid_argument("population_aged(" + std::to_string(first_age) + ", " + std::to_string(last_age) +
                                "): ages must be edges of the census bands 0, 1-4, 5-9, ..., 85+");
  int64_t sum = 0;
  for (int b = first_band; b <= last_band; ++b) sum += age_band_population[0][b] + age_band_population[1][b];
  return sum;
}

double CountyCensus::share_aged(int first_age, int last_age) const {
  return population > 0 ? static_cast<double>(population_aged(first_age, last_age)) / static_cast<double>(population)
                        : 0.0;
}

double CountyCensus::estimated_population_aged_0_to_2() const {
  return static_cast<double>(population_aged(0, 0)) + 0.5 * static_cast<double>(population_aged(1, 4));
}

namespace {
double ratio(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
}  // namespace

double CountyCensus::urban_share() const { return ratio(urban, population); }
double CountyCensus::one_person_share() const { return ratio(one_person_households, family_households); }
double CountyCensus::three_plus_generation_share() const {
  return ratio(generation_households[2] + generation_households[3], family_households);
}
double CountyCensus::households_with_65_plus_share() const { return ratio(households_with_65_plus, family_households); }
double CountyCensus::computed_mean_household_size() const {
  return ratio(family_household_population, family_households);
}

// ---------------------------------------------------------------- CensusTable
CensusTable CensusTable::load(const std::string& path) {
  const csv::Table t = csv::Table::read(path, "census table", "区划代码,省,市,区县,...");
  t.require(required_columns(),
            "区划代码, 省, 市, 区县, 人口数_合计/_男/_女, 城镇人口, 乡村人口, 家庭户数, 家庭户人口数, 户规模, 一人户数, "
            "一代户数 ... 四代以上户数, the 38 age bands 男_0岁 ... 女_85岁以上, 有65岁及以上老年人口的户数, 有一个老人, "
            "有二个老人, 有三个及以上老人 (scenarios/data/README.md)");
  CensusTable table;
  table.path_ = path;
  for (size_t r = 0; r < t.rows(); ++r) {
    const csv::Row cells(t, r);
    const RowReader row(cells);
    CountyCensus county = read_row(row);
    const auto [at, fresh] = table.by_code_.emplace(county.code, table.rows_.size());
    if (!fresh)
      row.fail("区划代码", "code " + county.code + " appears twice: also on line " +
                              std::to_string(table.rows_[at->second].line) + "; codes must be unique");
    table.rows_.push_back(std::move(county));
  }
  if (table.rows_.empty()) throw InputError(SourcePos{path, t.header().line, 1}, "", "no rows after the header");
  return table;
}

const CountyCensus* CensusTable::find(const std::string& code) const {
  const auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &rows_[it->second];
}

const CountyCensus& CensusTable::county(const std::string& code, const SourcePos& referenced_at,
                                        const std::string& key) const {
  if (const CountyCensus* row = find(code)) return *row;
  std::string message = "no row with code '" + code + "' in the census table " + path_;
  std::string same_city;
  if (code.size() >= 4)
    for (const auto& row : rows_)
      if (row.code.compare(0, 4, code, 0, 4) == 0) same_city += (same_city.empty() ? "" : ", ") + row.code;
  message += same_city.empty()
                 ? "; codes are 6-digit administrative codes (区划代码), e.g. 610102 for 西安市新城区"
                 : "; codes of " + code.substr(0, 4) + "xx there: " + same_city;
  throw InputError(referenced_at, key, message);
}

std::vector<const CountyCensus*> CensusTable::units_of_city(const std::string& city_code) const {
  std::vector<const CountyCensus*> units;
  if (city_code.size() != 6 || city_code.compare(4, 2, "00") != 0) return units;
  const size_t prefix = city_code == "000000" ? 0 : city_code.compare(2, 2, "00") == 0 ? 2 : 4;
  for (const auto& row : rows_)
    if (row.code.compare(4, 2, "00") != 0 && row.code.compare(0, prefix, city_code, 0, prefix) == 0)
      units.push_back(&row);
  return units;
}

DistrictExtras derive_district_extras(const CountyCensus& unit, const DerivedExtrasRule& rule) {
  DistrictExtras d;
  d.code = unit.code;
  d.name = unit.county;
  const int number = std::stoi(unit.code.substr(4, 2));
  const double share = unit.urban_share();
  if (number >= 21) d.district_class = "county";
  else if (share < rule.new_district_urban_share) d.district_class = "new_district";
  else if (share >= rule.old_core_urban_share && number <= 10) d.district_class = "old_core";
  else d.district_class = "inner";
  const double density = d.district_class == "old_core" ? rule.old_core_density_per_km2 : rule.density_per_km2;
  d.built_up_km2 = std::max(0.01, static_cast<double>(unit.urban) / density);
  return d;
}

// ---------------------------------------------------------------- district extras
DistrictExtrasTable DistrictExtrasTable::load(const std::string& path) {
  const csv::Table t = csv::Table::read(path, "district file", "code,name,class,...");
  t.require({"code", "class", "built_up_area_km2"}, "code, class, built_up_area_km2");
  DistrictExtrasTable table;
  table.path_ = path;
  for (size_t r = 0; r < t.rows(); ++r) {
    const csv::Row cells(t, r);
    const RowReader row(cells);
    DistrictExtras d;
    d.line = cells.line();
    d.code = row.text("code");
    if (d.code.size() != 6 || d.code.find_first_not_of("0123456789") != std::string::npos)
      row.fail("code", "'" + d.code + "' is not a 6-digit county code");
    if (row.has("name")) d.name = row.cell("name").text;
    d.district_class = row.text("class");
    if (d.district_class != "old_core" && d.district_class != "inner" && d.district_class != "new_district" &&
        d.district_class != "county")
      row.fail("class", "'" + d.district_class + "' is not one of: old_core, inner, new_district, county");
    d.built_up_km2 = row.real("built_up_area_km2", 1e-6, 1e6);
    if (table.find(d.code)) row.fail("code", "code " + d.code + " appears twice; codes must be unique");
    table.rows_.push_back(std::move(d));
  }
  return table;
}

const DistrictExtras* DistrictExtrasTable::find(const std::string& code) const {
  for (const auto& d : rows_)
    if (d.code == code) return &d;
  return nullptr;
}

}  // namespace commsim

// Households as families (households.hpp): templates, the maximum-entropy fit, age draws.
#include "sim/population/households.hpp"

#include <nlopt.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/population/census.hpp"

namespace commsim {

namespace {

constexpr int kMinorLast = 17, kAdultFirst = 18, kAdultLast = 59, kElderFirst = 60;

// Elders, adults (18-59), minors, generations, prior. The priors say which arrangements are
// common before the census moments are imposed (an assumption, docs/model.md): two-parent families
// are more common than one-parent ones, families of 3+ children and grandparents living alone with
// grandchildren rare.
const std::array<TemplateShape, kHouseholdTemplates> kShapes = {{
    {"single_adult", 0, 1, 0, 1, 1.0},
    {"single_elder", 1, 0, 0, 1, 1.0},
    {"couple", 0, 2, 0, 1, 1.0},
    {"elderly_couple", 2, 0, 0, 1, 1.0},
    {"mixed_couple", 1, 1, 0, 1, 0.3},
    {"nuclear_1", 0, 2, 1, 2, 1.0},
    {"nuclear_2", 0, 2, 2, 2, 0.6},
    {"nuclear_3", 0, 2, 3, 2, 0.1},
    {"single_parent_1", 0, 1, 1, 2, 0.15},
    {"single_parent_2", 0, 1, 2, 2, 0.05},
    {"parents_adult_child", 0, 3, 0, 2, 0.6},
    {"elder_adult_child", 1, 1, 0, 2, 0.5},
    {"elders_adult_child", 2, 1, 0, 2, 0.4},
    {"elders_child_couple", 2, 2, 0, 2, 0.2},
    {"skipped_generation", 2, 0, 1, 2, 0.1},
    {"three_gen_1_1", 1, 2, 1, 3, 0.6},
    {"three_gen_2_1", 2, 2, 1, 3, 1.0},
    {"three_gen_2_2", 2, 2, 2, 3, 0.5},
    {"three_gen_1_2", 1, 2, 2, 3, 0.3},
}};

// Cumulative weights of ages first..last (inclusive) of one sex.
std::vector<double> cdf_of(const std::vector<double>& by_age, int first, int last) {
  std::vector<double> cdf;
  double acc = 0;
  for (int a = first; a <= last; ++a) cdf.push_back(acc += a < static_cast<int>(by_age.size()) ? by_age[static_cast<size_t>(a)] : 0.0);
  return cdf;
}

// An age in [first + lo, first + hi] (offsets into `cdf`, which starts at age `first`) at the
// quantile u of the distribution restricted to that range; uniform when the range has no weight.
int age_at(const std::vector<double>& cdf, int first, int lo, int hi, double u) {
  const int n = static_cast<int>(cdf.size());
  lo = std::clamp(lo, 0, n - 1);
  hi = std::clamp(hi, lo, n - 1);
  const double below = lo > 0 ? cdf[static_cast<size_t>(lo - 1)] : 0.0;
  const double span = cdf[static_cast<size_t>(hi)] - below;
  if (!(span > 0)) return first + lo + std::min(hi - lo, static_cast<int>(u * (hi - lo + 1)));
  const double target = below + u * span;
  int a = lo;
  while (a < hi && !(target < cdf[static_cast<size_t>(a)])) ++a;
  return first + a;
}

double share_of(const std::vector<double>& cdf) { return cdf.empty() ? 0.0 : cdf.back(); }

// P(at least one member aged 65+) for a template, from the elders' sex and the share of 65+
// among each sex's 60+ (couples are drawn comonotone: both spouses at one quantile).
double p_any_65(const TemplateShape& s, double male_elder_share, double q_male, double q_female) {
  if (s.elders == 0) return 0.0;
  if (s.elders == 1) return male_elder_share * q_male + (1 - male_elder_share) * q_female;
  return std::max(q_male, q_female);
}

}  // namespace

const TemplateShape& template_shape(HouseholdTemplate t) { return kShapes[static_cast<size_t>(t)]; }

const char* household_type_name(HouseholdType t) {
  switch (t) {
    case HouseholdType::single_adult: return "single_adult";
    case HouseholdType::elder_alone: return "elder_alone";
    case HouseholdType::elderly_only: return "elderly_only";
    case HouseholdType::with_elders: return "with_elders";
    case HouseholdType::with_children: return "with_children";
    case HouseholdType::adults_only: return "adults_only";
    case HouseholdType::collective: return "collective";
    case HouseholdType::count: break;
  }
  return "?";
}

HouseholdType classify_household(const uint8_t* ages, int size) {
  int elders = 0, minors = 0;
  for (int i = 0; i < size; ++i) {
    elders += ages[i] >= kElderFirst;
    minors += ages[i] <= kMinorLast;
  }
  if (size <= 1) return elders ? HouseholdType::elder_alone : HouseholdType::single_adult;
  if (elders == size) return HouseholdType::elderly_only;
  if (elders > 0) return HouseholdType::with_elders;
  if (minors > 0) return HouseholdType::with_children;
  return HouseholdType::adults_only;
}

DistrictProfile district_profile(const CountyCensus& c) {
  DistrictProfile p;
  p.name = c.county;
  for (int sex = 0; sex < 2; ++sex) {
    std::vector<double>& by_age = p.age_sex[static_cast<size_t>(sex)];
    by_age.assign(kHouseholdMaxAge + 1, 0.0);
    for (int band = 0; band < kCensusAgeBands; ++band) {
      const double people = static_cast<double>(c.age_band_population[static_cast<size_t>(sex)][static_cast<size_t>(band)]);
      const int first = kCensusBandFirstAge[static_cast<size_t>(band)];
      if (band + 1 < kCensusAgeBands) {
        const int last = kCensusBandFirstAge[static_cast<size_t>(band) + 1] - 1;
        for (int a = first; a <= last; ++a) by_age[static_cast<size_t>(a)] = people / (last - first + 1);
        continue;
      }
      double norm = 0;
      for (int a = first; a <= 105; ++a) norm += std::pow(0.85, a - first);
      for (int a = first; a <= 105; ++a) by_age[static_cast<size_t>(a)] = people * std::pow(0.85, a - first) / norm;
    }
  }
  // Residents outside family households: taken from ages 18-59 in proportion.
  const double population = static_cast<double>(c.population);
  const double collective = std::max(0.0, population - static_cast<double>(c.family_household_population));
  double adults = 0;
  for (int sex = 0; sex < 2; ++sex)
    for (int a = kAdultFirst; a <= kAdultLast; ++a) adults += p.age_sex[static_cast<size_t>(sex)][static_cast<size_t>(a)];
  const double removed = adults > 0 ? std::min(1.0, collective / adults) : 0.0;
  p.collective_share = population > 0 ? collective / population : 0.0;
  for (int sex = 0; sex < 2; ++sex) {
    auto& family = p.age_sex[static_cast<size_t>(sex)];
    auto& outside = p.collective_age_sex[static_cast<size_t>(sex)];
    outside.assign(kHouseholdMaxAge + 1, 0.0);
    for (int a = kAdultFirst; a <= kAdultLast; ++a) {
      outside[static_cast<size_t>(a)] = family[static_cast<size_t>(a)] * removed;
      family[static_cast<size_t>(a)] -= outside[static_cast<size_t>(a)];
    }
  }
  const double households = static_cast<double>(c.family_households);
  p.one_person_share = c.one_person_share();
  p.one_generation_share = static_cast<double>(c.generation_households[0]) / households;
  p.three_plus_generation_share = c.three_plus_generation_share();
  p.mean_household_size = c.computed_mean_household_size();
  p.households_with_65_plus_share = c.households_with_65_plus_share();
  return p;
}

namespace {

// The age samplers of a district: by sex, minors, adults and elders of its family households, and
// the ages of its residents in collective living.
void fit_age_samplers(const DistrictProfile& p, DistrictHouseholds& d) {
  for (int sex = 0; sex < 2; ++sex) {
    const auto x = static_cast<size_t>(sex);
    d.minor_cdf[x] = cdf_of(p.age_sex[x], 0, kMinorLast);
    d.adult_cdf[x] = cdf_of(p.age_sex[x], kAdultFirst, kAdultLast);
    d.elder_cdf[x] = cdf_of(p.age_sex[x], kElderFirst, kHouseholdMaxAge);
    d.collective_cdf[x] = cdf_of(p.collective_age_sex[x].empty() ? std::vector<double>(kHouseholdMaxAge + 1, 0.0)
                                                                 : p.collective_age_sex[x],
                                 0, kHouseholdMaxAge);
  }
  const double m = share_of(d.collective_cdf[0]), f = share_of(d.collective_cdf[1]);
  d.collective_male_share = m + f > 0 ? m / (m + f) : 0.5;
}

// Moments per template and their targets: one-person, one-generation, three+ generations, size,
// elders per household, minors per household, P(a member 65+). Maximum entropy relative to the
// prior: w_t ∝ prior_t exp(λ·a_t), λ minimising the convex dual g(λ) = log Σ_t prior_t exp(λ·a_t)
// − λ·b (+ ε|λ|²/2 for the soft fit), whose gradient is E_w[a] − b (+ ελ).
constexpr int kMoments = 7;
const char* const kMomentNames[kMoments] = {"one-person share", "one-generation share", "three-generation share",
                                            "mean household size", "share aged 60+", "share aged 0-17",
                                            "share of households with a member 65+"};
struct MomentFit {
  std::array<std::array<double, kMoments>, kHouseholdTemplates> a{};
  std::array<double, kMoments> b{};
  double epsilon = 0;

  // The mixture at multipliers `lambda`; returns log Σ_t prior_t exp(λ·a_t).
  double weights(const double* lambda, std::array<double, kHouseholdTemplates>& w) const {
    double top = -1e300;
    std::array<double, kHouseholdTemplates> e{};
    for (size_t t = 0; t < kHouseholdTemplates; ++t) {
      double x = 0;
      for (size_t k = 0; k < kMoments; ++k) x += lambda[k] * a[t][k];
      e[t] = x;
      top = std::max(top, x);
    }
    double sum = 0;
    for (size_t t = 0; t < kHouseholdTemplates; ++t) sum += w[t] = kShapes[t].prior * std::exp(e[t] - top);
    for (auto& x : w) x /= sum;
    return top + std::log(sum);
  }
  static double dual(unsigned n, const double* x, double* grad, void* data) {
    const MomentFit& f = *static_cast<const MomentFit*>(data);
    std::array<double, kHouseholdTemplates> w{};
    double value = f.weights(x, w);
    for (unsigned k = 0; k < n; ++k) {
      value += -x[k] * f.b[k] + 0.5 * f.epsilon * x[k] * x[k];
      if (!grad) continue;
      double m = 0;
      for (size_t t = 0; t < kHouseholdTemplates; ++t) m += w[t] * f.a[t][k];
      grad[k] = m - f.b[k] + f.epsilon * x[k];
    }
    return value;
  }
  // The fitted weights of `d` and how close they come (max_moment_error, worst_moment).
  void solve(double eps, const std::string& name, DistrictHouseholds& d) {
    epsilon = eps;
    nlopt::opt opt(nlopt::LD_LBFGS, kMoments);
    opt.set_min_objective(&MomentFit::dual, this);
    opt.set_ftol_rel(1e-15);
    opt.set_xtol_rel(1e-13);
    opt.set_maxeval(20000);
    std::vector<double> lambda(kMoments, 0.0);
    double minimum = 0;
    try {
      opt.optimize(lambda, minimum);
    } catch (const nlopt::roundoff_limited&) {
      // Converged to machine precision: the moment check decides.
    } catch (const std::exception& e) {
      // Infeasible exact moments make the dual unbounded: the soft fit handles them.
      if (eps == 0.0) {
        d.max_moment_error = 1.0;
        d.worst_moment = "all";
        return;
      }
      throw std::runtime_error("district '" + name + "': the household fit failed (" + e.what() + ")");
    }
    weights(lambda.data(), d.weight);
    d.max_moment_error = 0;
    size_t worst = 0;
    for (size_t k = 0; k < kMoments; ++k) {
      double m = 0;
      for (size_t t = 0; t < kHouseholdTemplates; ++t) m += d.weight[t] * a[t][k];
      const double err = std::fabs(m - b[k]) / std::max(1.0, std::fabs(b[k]));
      if (err > d.max_moment_error) {
        d.max_moment_error = err;
        worst = k;
      }
    }
    d.worst_moment = kMomentNames[worst];
  }
};

}  // namespace

DistrictHouseholds fit_district_households(const DistrictProfile& p) {
  DistrictHouseholds d;
  fit_age_samplers(p, d);
  const double minors = share_of(d.minor_cdf[0]) + share_of(d.minor_cdf[1]);
  const double adults = share_of(d.adult_cdf[0]) + share_of(d.adult_cdf[1]);
  const double elders = share_of(d.elder_cdf[0]) + share_of(d.elder_cdf[1]);
  const double total = minors + adults + elders;
  if (!(total > 0)) throw std::runtime_error("district '" + p.name + "': no residents by age");
  const double male_elder = share_of(d.elder_cdf[0]) / std::max(elders, 1e-300);
  // Share of 65+ among each sex's 60+ (ages 60-64 are the first 5 entries of the elder cdf).
  auto q65 = [&](int sex) {
    const auto& c = d.elder_cdf[static_cast<size_t>(sex)];
    return c.back() > 0 ? 1.0 - c[4] / c.back() : 0.0;
  };
  const double q_male = q65(0), q_female = q65(1);
  MomentFit fit;
  for (size_t t = 0; t < kHouseholdTemplates; ++t) {
    const TemplateShape& s = kShapes[t];
    const int size = s.elders + s.adults + s.minors;
    fit.a[t] = {size == 1 ? 1.0 : 0.0, s.generations == 1 ? 1.0 : 0.0, s.generations >= 3 ? 1.0 : 0.0,
                static_cast<double>(size), static_cast<double>(s.elders), static_cast<double>(s.minors),
                p_any_65(s, male_elder, q_male, q_female)};
  }
  const double size = p.mean_household_size;
  fit.b = {p.one_person_share, p.one_generation_share, p.three_plus_generation_share, size, size * elders / total,
           size * minors / total, p.households_with_65_plus_share};
  // Exact moments first (epsilon = 0); when no mixture meets them all (the census of some units
  // is not a population of families: boarding schools, dormitory towns), the closest mixture with
  // an L2 penalty on the multipliers (soft moments), and the remaining gap is reported.
  fit.solve(0.0, p.name, d);
  if (d.max_moment_error > 1e-6) fit.solve(1e-3, p.name, d);
  double acc = 0;
  for (size_t t = 0; t < kHouseholdTemplates; ++t) d.cdf[t] = acc += d.weight[t];
  d.expected_size = 0;
  for (size_t t = 0; t < kHouseholdTemplates; ++t) {
    const TemplateShape& s = kShapes[t];
    d.expected_size += d.weight[t] * (s.elders + s.adults + s.minors);
  }
  return d;
}

namespace {

// Draws a household's members in order from the household's stream (common random numbers).
struct MemberDraw {
  const DistrictHouseholds& d;
  Stream& s;
  DrawnMember* out;
  int n = 0;
  double male_elder = 0, male_adult = 0;

  void add(int age, bool male) {
    out[n].age = static_cast<uint8_t>(std::clamp(age, 0, kHouseholdMaxAge));
    out[n].male = male;
    ++n;
  }
  // Elders: one (sex by the district's elder sex ratio) or a couple at one quantile; the youngest age.
  int elders(int count) {
    const int span = kHouseholdMaxAge - kElderFirst;
    const double q = s.uniform();
    if (count == 1) {
      const bool male = s.uniform() < male_elder;
      add(age_at(d.elder_cdf[male ? 0 : 1], kElderFirst, 0, span, q), male);
      return out[n - 1].age;
    }
    add(age_at(d.elder_cdf[0], kElderFirst, 0, span, q), true);
    add(age_at(d.elder_cdf[1], kElderFirst, 0, span, q), false);
    return std::min(out[n - 2].age, out[n - 1].age);
  }
  // Adults within [lo, hi] (ages): one (sex by the district's adult sex ratio) or a couple at one quantile.
  int adults(int count, int lo, int hi) {
    const double q = s.uniform();
    lo = std::clamp(lo, kAdultFirst, kAdultLast);
    hi = std::clamp(hi, lo, kAdultLast);
    if (count == 1) {
      const bool male = s.uniform() < male_adult;
      add(age_at(d.adult_cdf[male ? 0 : 1], kAdultFirst, lo - kAdultFirst, hi - kAdultFirst, q), male);
      return static_cast<int>(out[n - 1].age);
    }
    add(age_at(d.adult_cdf[0], kAdultFirst, lo - kAdultFirst, hi - kAdultFirst, q), true);
    add(age_at(d.adult_cdf[1], kAdultFirst, lo - kAdultFirst, hi - kAdultFirst, q), false);
    return static_cast<int>(std::min(out[n - 2].age, out[n - 1].age));
  }
  // Minors: each drawn from the district's own ages 0-17, so the census's child ages (the
  // under-3s of childcare) are reproduced; the parents are then drawn to fit the oldest. (Drawing
  // younger siblings below an elder one would crowd the youngest ages: about half again too many
  // under-3s.) Returns the oldest.
  int minors(int count) {
    int oldest = 0;
    for (int k = 0; k < count; ++k) {
      const double m0 = share_of(d.minor_cdf[0]), m1 = share_of(d.minor_cdf[1]);
      const bool boy = s.uniform() < m0 / std::max(m0 + m1, 1e-300);
      add(age_at(d.minor_cdf[boy ? 0 : 1], 0, 0, kMinorLast, s.uniform()), boy);
      oldest = std::max<int>(oldest, out[n - 1].age);
    }
    return oldest;
  }
  // Children's parents 20-45 years older; elders' children 20-45 years younger.
  void parents_of_minors(int parents, int minor_count) {
    const int oldest = minors(minor_count);
    adults(parents, oldest + 20, oldest + 45);
  }
  void children_of_elders(int elder_count, int children) {
    const int elder = elders(elder_count);
    adults(children, elder - 45, elder - 20);
  }
};

void draw_members(HouseholdTemplate tmpl, MemberDraw& m) {
  if (tmpl == HouseholdTemplate::count) return;
  const TemplateShape& shape = template_shape(tmpl);
  switch (tmpl) {
    case HouseholdTemplate::single_adult: m.adults(1, kAdultFirst, kAdultLast); break;
    case HouseholdTemplate::single_elder: m.elders(1); break;
    case HouseholdTemplate::couple: m.adults(2, kAdultFirst, kAdultLast); break;
    case HouseholdTemplate::elderly_couple: m.elders(2); break;
    case HouseholdTemplate::mixed_couple: m.elders(1); m.adults(1, 50, kAdultLast); break;
    case HouseholdTemplate::nuclear_1:
    case HouseholdTemplate::nuclear_2:
    case HouseholdTemplate::nuclear_3: m.parents_of_minors(2, shape.minors); break;
    case HouseholdTemplate::single_parent_1:
    case HouseholdTemplate::single_parent_2: m.parents_of_minors(1, shape.minors); break;
    case HouseholdTemplate::parents_adult_child: {
      const int child = m.adults(1, kAdultFirst, 35);
      m.adults(2, child + 20, child + 45);
      break;
    }
    case HouseholdTemplate::elder_adult_child: m.children_of_elders(1, 1); break;
    case HouseholdTemplate::elders_adult_child: m.children_of_elders(2, 1); break;
    case HouseholdTemplate::elders_child_couple: m.children_of_elders(2, 2); break;
    case HouseholdTemplate::skipped_generation: m.elders(2); m.minors(1); break;
    case HouseholdTemplate::three_gen_1_1:
    case HouseholdTemplate::three_gen_2_1:
    case HouseholdTemplate::three_gen_2_2:
    case HouseholdTemplate::three_gen_1_2: {
      // Elders 60+, minors 0-17: the parents between, 20-45 years from each.
      const int elder = m.elders(shape.elders);
      const int oldest = m.minors(shape.minors);
      m.adults(2, std::max(oldest + 20, elder - 45), std::min(oldest + 45, elder - 20));
      break;
    }
    case HouseholdTemplate::count: break;
  }
}

}  // namespace

int draw_household(const DistrictHouseholds& d, double u_template, Stream& s, DrawnMember* out, HouseholdTemplate* drawn) {
  int t = 0;
  const double u = u_template * d.cdf.back();
  while (t + 1 < kHouseholdTemplates && !(u < d.cdf[static_cast<size_t>(t)])) ++t;
  const auto tmpl = static_cast<HouseholdTemplate>(t);
  if (drawn) *drawn = tmpl;
  MemberDraw m{d, s, out};
  m.male_elder = share_of(d.elder_cdf[0]) / std::max(share_of(d.elder_cdf[0]) + share_of(d.elder_cdf[1]), 1e-300);
  m.male_adult = share_of(d.adult_cdf[0]) / std::max(share_of(d.adult_cdf[0]) + share_of(d.adult_cdf[1]), 1e-300);
  draw_members(tmpl, m);
  return m.n;
}

DrawnMember draw_collective(const DistrictHouseholds& d, Stream& s) {
  DrawnMember m;
  m.male = s.uniform() < d.collective_male_share;
  const auto& cdf = d.collective_cdf[m.male ? 0 : 1];
  m.age = static_cast<uint8_t>(share_of(cdf) > 0 ? age_at(cdf, 0, 0, kHouseholdMaxAge, s.uniform())
                                                 : age_at(d.adult_cdf[m.male ? 0 : 1], kAdultFirst, 0, kAdultLast - kAdultFirst, s.uniform()));
  return m;
}

}  // namespace commsim

// The pareto file's tables (pareto.hpp; docs/output-format.md).
#include <stdexcept>

#include "sim/io/hdf5_output.hpp"
#include "sim/plan/outcomes.hpp"
#include "sim/plan/pareto.hpp"

namespace commsim {

const Table<ParetoFacts>& pareto_facts_table() {
  using F = ParetoFacts;
  static const Table<F> t = make_table<F>(
      "pareto_facts", "pareto", {},
      {COMMSIM_FIELDS(F, population, generations, replicates, robust_draws, evaluations, city_runs, seed)},
      Storage::attributes);
  return t;
}

const Table<ParetoLeverRow>& pareto_lever_table() {
  using L = ParetoLeverRow;
  static const Table<L> t = make_table<L>("pareto_lever", "pareto/levers", {"levers"}, {COMMSIM_FIELDS(L, key, low, high)});
  return t;
}

const Table<ParetoObjectiveRow>& pareto_objective_table() {
  using O = ParetoObjectiveRow;
  static const Table<O> t = make_table<O>("pareto_objective", "pareto/objectives", {"objectives"}, {COMMSIM_FIELDS(O, name, sense)});
  return t;
}

const Table<ParetoCell>& pareto_front_lever_table() {
  static const Table<ParetoCell> t = make_table<ParetoCell>("pareto_front_lever", "pareto/front_levers", {"front", "levers"},
                                                            {field("value", &ParetoCell::value)});
  return t;
}

const Table<ParetoCell>& pareto_front_objective_table() {
  static const Table<ParetoCell> t = make_table<ParetoCell>(
      "pareto_front_objective", "pareto/front_objectives", {"front", "objectives"}, {field("value", &ParetoCell::value)});
  return t;
}

void write_pareto_file(const std::string& path, bool force, const Provenance& provenance, const ParetoRequest& rq,
                       const ParetoResult& r) {
  auto length = [&](const std::string& axis) -> size_t {
    if (axis == "levers") return rq.levers.size();
    if (axis == "objectives") return r.objectives.size();
    if (axis == "front") return r.front.size();
    throw std::logic_error("unknown pareto axis '" + axis + "'");
  };
  Hdf5Output out(path, force);
  out.write_provenance(provenance);
  const ParetoFacts facts{rq.population, rq.generations, r.replicates, r.robust_draws, r.evaluations, r.city_runs, r.seed};
  write_result_table(out, "/pareto", pareto_facts_table(), &facts, 1, length);
  std::vector<ParetoLeverRow> levers;
  for (const auto& l : rq.levers) levers.push_back({l.key, l.low, l.high});
  write_result_table(out, "/pareto/levers", pareto_lever_table(), levers.data(), levers.size(), length);
  std::vector<ParetoObjectiveRow> objectives;
  for (const auto& o : r.objectives) objectives.push_back({o, minimised(o) ? "min" : "max"});
  write_result_table(out, "/pareto/objectives", pareto_objective_table(), objectives.data(), objectives.size(), length);
  std::vector<ParetoCell> lever_cells, objective_cells;
  for (const auto& p : r.front) {
    for (double v : p.levers) lever_cells.push_back({v});
    for (double v : p.objectives) objective_cells.push_back({v});
  }
  write_result_table(out, "/pareto/front_levers", pareto_front_lever_table(), lever_cells.data(), lever_cells.size(), length);
  write_result_table(out, "/pareto/front_objectives", pareto_front_objective_table(), objective_cells.data(),
                     objective_cells.size(), length);
  out.commit();
}

}  // namespace commsim

// One run over MPI ranks (distributed_run.hpp).
#include "sim/study/distributed_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>

#include "sim/core/error.hpp"
#include "sim/engine/thread_cap.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/study/mpi_session.hpp"

namespace commsim {

namespace {

// Estimated residents of each as-given community (the partition's cost) and whether a community
// starts a new census unit.
struct CommunityCost {
  std::vector<double> cost;
  std::vector<uint8_t> unit_start;
  size_t units = 0;
};

CommunityCost community_costs(const Scenario& sc, const PreparedInputs& in) {
  CommunityCost out;
  const size_t n = in.specs.size();
  out.cost = community_residents_estimates(sc, in);
  out.unit_start.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    out.cost[i] = std::max(out.cost[i], 1.0);
    out.unit_start[i] = !in.census || i == 0 || in.census->plan.communities[i - 1].district != in.census->plan.communities[i].district;
    out.units += out.unit_start[i];
  }
  return out;
}

}  // namespace

std::vector<CityRange> partition_city(const Scenario& sc, const PreparedInputs& in, int ranks) {
  const size_t n = in.specs.size();
  std::vector<CityRange> out(static_cast<size_t>(std::max(1, ranks)), CityRange{n, n});
  if (!city_divisible(sc) || ranks <= 1) {
    out[0] = CityRange{0, n};
    return out;
  }
  const CommunityCost costs = community_costs(sc, in);
  // Cut at census unit boundaries when there are enough units to balance the ranks (four per rank).
  const bool by_unit = costs.units >= 4 * static_cast<size_t>(ranks);
  double total = 0;
  for (double c : costs.cost) total += c;
  std::vector<size_t> cuts{0};
  double before = 0;
  size_t k = 1;
  for (size_t i = 0; i < n && k < static_cast<size_t>(ranks); ++i) {
    const double target = total * static_cast<double>(k) / ranks;
    const bool can_cut = i > cuts.back() && (!by_unit || costs.unit_start[i]);
    // Cut before i when i's start is nearer the target than its end (or i's end passes it).
    if (can_cut && before + costs.cost[i] / 2 >= target) {
      cuts.push_back(i);
      ++k;
    }
    before += costs.cost[i];
  }
  while (cuts.size() < static_cast<size_t>(ranks)) cuts.push_back(n);
  cuts.push_back(n);
  for (size_t r = 0; r < out.size(); ++r) out[r] = CityRange{cuts[r], std::max(cuts[r], cuts[r + 1])};
  return out;
}

#ifdef COMMSIM_WITH_MPI
namespace {

constexpr int kTagPart = 41;
constexpr size_t kChunk = size_t(1) << 30;  // MPI counts are int: a part goes in chunks of 1 GiB

void send_part(const std::vector<uint8_t>& bytes) {
  const uint64_t size = bytes.size();
  MPI_Send(&size, 1, MPI_UINT64_T, 0, kTagPart, MPI_COMM_WORLD);
  for (size_t at = 0; at < bytes.size(); at += kChunk)
    MPI_Send(bytes.data() + at, static_cast<int>(std::min(kChunk, bytes.size() - at)), MPI_BYTE, 0, kTagPart, MPI_COMM_WORLD);
}

std::vector<uint8_t> receive_part(int rank) {
  uint64_t size = 0;
  MPI_Recv(&size, 1, MPI_UINT64_T, rank, kTagPart, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  std::vector<uint8_t> bytes(size);
  for (size_t at = 0; at < bytes.size(); at += kChunk)
    MPI_Recv(bytes.data() + at, static_cast<int>(std::min(kChunk, bytes.size() - at)), MPI_BYTE, rank, kTagPart,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return bytes;
}

// A part as bytes: [uint64 n][serialize_run, n bytes][pay per community and role, doubles]. The
// pay per role is the engine's (summarize splits it by payer); the output schema holds only the split.
std::vector<uint8_t> pack_part(const RunResult& part) {
  std::vector<uint8_t> bytes(8);
  const std::vector<uint8_t> run = serialize_run(part);
  const uint64_t n = run.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes.insert(bytes.end(), run.begin(), run.end());
  for (const CommunityInfo& c : part.communities) {
    if (c.pay_yuan_by_role.size() != part.role_names.size()) internal_error("pack_part: pay per role not sized");
    const auto* p = reinterpret_cast<const uint8_t*>(c.pay_yuan_by_role.data());
    bytes.insert(bytes.end(), p, p + c.pay_yuan_by_role.size() * sizeof(double));
  }
  return bytes;
}

RunResult unpack_part(const std::vector<uint8_t>& bytes) {
  uint64_t n = 0;
  if (bytes.size() < 8) throw RuntimeFailure("malformed part of a run from an MPI rank");
  std::memcpy(&n, bytes.data(), 8);
  if (bytes.size() < 8 + n) throw RuntimeFailure("malformed part of a run from an MPI rank");
  RunResult part = deserialize_run(bytes.data() + 8, n);
  const size_t roles = part.role_names.size();
  if (bytes.size() != 8 + n + part.communities.size() * roles * sizeof(double))
    throw RuntimeFailure("malformed part of a run from an MPI rank (pay per role)");
  const uint8_t* at = bytes.data() + 8 + n;
  for (CommunityInfo& c : part.communities) {
    c.pay_yuan_by_role.resize(roles);
    std::memcpy(c.pay_yuan_by_role.data(), at, roles * sizeof(double));
    at += roles * sizeof(double);
  }
  return part;
}

// This rank's part of replicate r: empty bytes for an empty range. A failure is reported here and
// ends every rank (MPI_Abort): the others would wait for its part for ever.
std::vector<uint8_t> compute_part(const Scenario& sc, int r, const RunOptions& options, CityRange range, RunResult* keep) {
  try {
    if (range.first >= range.last) return {};
    RunResult part = run_part(sc, r, options, range);
    if (keep) {
      *keep = std::move(part);
      return {};
    }
    return pack_part(part);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commsim: failure on rank %d: %s\n", mpi_detail::mpi_session().rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, dynamic_cast<const InputError*>(&e) ? 2 : 1);
  }
  return {};
}

}  // namespace
#endif

DistributedRuns run_scenario_over_ranks(const Scenario& sc, const RunOptions& options) {
  DistributedRuns out;
#ifdef COMMSIM_WITH_MPI
  if (mpi_detail::launched_by_mpi() && mpi_detail::mpi_session().size > 1) {
    const mpi_detail::MpiSession& mpi = mpi_detail::mpi_session();
    out.ranks = mpi.size;
    out.root = mpi.rank == 0;
    // Never oversubscribe: the ranks on one node share its cores (as the study runner does).
    int threads = options.threads > 0 ? options.threads : sc.run.threads;
    if (threads <= 0) threads = std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) / std::max(1, mpi.local_size));
    const ThreadCap cap(threads);
    RunOptions shared = options;
    if (!shared.prepared) shared.prepared = prepare_inputs(sc);
    const std::vector<CityRange> ranges = partition_city(sc, *shared.prepared, mpi.size);
    const CityRange mine = ranges[static_cast<size_t>(mpi.rank)];
    for (int r = 0; r < sc.run.replicates; ++r) {
      RunOptions o = shared;
      if (r > 0 || mine.first > 0) o.changes = nullptr;
      if (!out.root) o.progress = nullptr;
      if (!out.root) {
        send_part(compute_part(sc, r, o, mine, nullptr));
        continue;
      }
      std::vector<RunResult> parts(1);
      compute_part(sc, r, o, mine, &parts[0]);  // rank 0's range is never empty: it starts the city
      const auto computed = std::chrono::steady_clock::now();
      size_t gathered = 0;
      for (int k = 1; k < mpi.size; ++k) {
        const std::vector<uint8_t> bytes = receive_part(k);
        gathered += bytes.size();
        if (!bytes.empty()) parts.push_back(unpack_part(bytes));
      }
      if (std::getenv("COMMSIM_PHASE_TIMES"))  // the gather's volume and time (docs/performance.md)
        std::fprintf(stderr, "gather: %zu bytes from %d ranks, %.3f s after rank 0's part\n", gathered, mpi.size - 1,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - computed).count());
      out.runs.push_back(assemble_run(sc, std::move(parts)));
    }
    return out;
  }
#endif
  out.runs = run_scenario(sc, options);
  return out;
}

}  // namespace commsim

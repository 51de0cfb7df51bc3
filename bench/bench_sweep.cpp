// The memory-bandwidth floor of "one pass over every resident per day": read 16 bytes of every
// resident of a 13 M-resident structure-of-arrays state (four 4-byte columns) and fold them into a
// checksum. bytes_per_second of the one-thread case (CPU time, so that a shared machine's other
// load does not lower it) is the floor bench/city.sh compares a run against. Threads(2) splits the
// residents between two threads (each sweeps its own half).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <numeric>
#include <vector>

namespace {

constexpr size_t kResidents = 13'000'000;

struct DenseState {
  std::vector<uint32_t> a, b, c, d;  // 4 columns x 4 bytes = 16 bytes per resident
  DenseState() : a(kResidents), b(kResidents), c(kResidents), d(kResidents) {
    std::iota(a.begin(), a.end(), 0u);
    std::iota(b.begin(), b.end(), 1u);
    std::iota(c.begin(), c.end(), 2u);
    std::iota(d.begin(), d.end(), 3u);
  }
};

const DenseState& dense() {
  static const DenseState s;
  return s;
}

}  // namespace

static void BM_DenseSweep(benchmark::State& state) {
  const DenseState& s = dense();
  const size_t threads = static_cast<size_t>(state.threads());
  const size_t t = static_cast<size_t>(state.thread_index());
  const size_t first = kResidents * t / threads, last = kResidents * (t + 1) / threads;
  uint64_t acc = 0;
  for (auto _ : state) {
    uint32_t x = 0;
    for (size_t r = first; r < last; ++r) x += s.a[r] ^ s.b[r] ^ s.c[r] ^ s.d[r];
    acc += x;
    benchmark::DoNotOptimize(acc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>((last - first) * 16));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(last - first));
}
BENCHMARK(BM_DenseSweep)->Unit(benchmark::kMillisecond)->Threads(1)->Threads(2);

// Micro-benchmarks of the counter-based random streams (sim/core/random.hpp).
#include <benchmark/benchmark.h>

#include "sim/core/random.hpp"

using namespace commsim;

static void BM_StreamUniform(benchmark::State& state) {
  Stream s(StreamKey{42, 0, 7, 1, 0});
  double acc = 0;
  for (auto _ : state) acc += s.uniform();
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamUniform);

static void BM_StreamConstructAndPoisson(benchmark::State& state) {
  const double mean = static_cast<double>(state.range(0)) / 10.0;
  uint64_t entity = 0, acc = 0;
  for (auto _ : state) {
    Stream s(StreamKey{42, 0, ++entity, 1, 0});
    acc += s.poisson(mean);
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamConstructAndPoisson)->Arg(30)->Arg(300);

// The per-resident pattern of demand generation: construct a stream keyed by an entity, draw a
// handful of uniforms (arrival hour and minute, duration, thinning).
static void BM_StreamConstructAndFourUniforms(benchmark::State& state) {
  uint64_t entity = 0;
  double acc = 0;
  for (auto _ : state) {
    Stream s(StreamKey{42, 0, ++entity, 1, 0});
    acc += s.uniform() + s.uniform() + s.uniform() + s.uniform();
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamConstructAndFourUniforms);

static void BM_StreamExponential(benchmark::State& state) {
  Stream s(StreamKey{42, 0, 7, 1, 0});
  double acc = 0;
  for (auto _ : state) acc += s.exponential(12.0);
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamExponential);

// One Philox block by index (an episode's four draws): items/s = blocks/s.
static void BM_BlockStreamBlock(benchmark::State& state) {
  const BlockStream s(StreamKey{42, 0, 7, 12, 0});
  uint32_t i = 0, acc = 0;
  for (auto _ : state) {
    const BlockStream::Block b = s.block(i++);
    acc ^= b.w[0] ^ b.w[1] ^ b.w[2] ^ b.w[3];
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BlockStreamBlock);

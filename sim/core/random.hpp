// Counter-based random streams. Every draw is a pure function of a key
// (seed, replicate, stable global entity id, purpose, event index) -> 128 bits, computed with
// Philox4x32-10 from Random123. Nothing depends on thread, task or community order, so results
// are bit-identical for any thread or rank count, and scenarios that keep the population share
// their random numbers (common random numbers).
//
// The distribution transforms are written here (not std::*_distribution, whose algorithms differ
// between standard libraries) and pinned by known-answer tests in tests/core/random_test.cpp.
#pragma once
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <string_view>

namespace commsim {

// Purposes keep streams of different uses apart (the "purpose" field of the key).
enum class Purpose : uint32_t {
  episode = 1,      // episodic demand of a service in a year
  recurring = 2,    // phase of recurring visits
  want = 3,         // whether a resident wants an enrolment service
  order = 4,        // waiting-list tie-break order
  absence = 5,      // a worker's absence on a day
  population = 6,   // synthetic population generation
  placement = 7,    // household positions
  dynamics = 8,     // births, deaths, dependency onset, turnover
  surge = 9,        // extra demand of a surge shock
  city = 10,        // city generator
  visit = 11,       // a recurring visit's period: extra visit (block 0), then one block per visit
  episode_draws = 12,  // one block per episode of a year: day, hour, minute, duration
  thinning = 13,       // one block per episode: whether a demand-reducing shock keeps it
  surge_draws = 14,    // one block per extra episode of a surge
  study_design = 15,   // sampling designs and estimators of studies (the sub field says which use)
};
// The purpose shares its 32-bit key field with a service key shifted left by 4 bits.
static_assert(static_cast<uint32_t>(Purpose::study_design) < 16, "purposes fit in 4 bits");

// Stable 32-bit key of a name (FNV-1a): a service keyed by its name keeps its streams when other
// services are added or removed.
constexpr uint32_t stable_name_key(std::string_view name) {
  uint32_t h = 2166136261u;
  for (char c : name) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

struct StreamKey {
  uint64_t seed = 0;
  uint32_t replicate = 0;
  uint64_t entity = 0;   // stable global id (resident, household, worker, community)
  uint32_t purpose = 0;  // Purpose, optionally mixed with a service key
  uint32_t sub = 0;      // e.g. the year, or a shock index
};

// The normal draw of the model, the Box-Muller transform (cosine branch) of u1 in (0, 1] and
// u2 in [0, 1): sqrt(-2 ln u1) cos(2 pi u2). Written out for cross-library determinism; every
// normal draw goes through it (pinned by a known-answer test).
inline double normal_from_uniforms(double u1, double u2) {
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// A stream: the key plus an event counter. Each call to next() consumes one Philox block
// (four 32-bit words); uniform() hands them out one at a time, two per double.
class Stream {
 public:
  explicit Stream(const StreamKey& key) {
    key_[0] = static_cast<uint32_t>(key.seed);
    key_[1] = static_cast<uint32_t>(key.seed >> 32) ^ (key.replicate * 0x9E3779B9u);
    ctr_[0] = 0;  // event index (block counter)
    ctr_[1] = key.purpose ^ (key.sub * 0x85EBCA6Bu);
    ctr_[2] = static_cast<uint32_t>(key.entity);
    ctr_[3] = static_cast<uint32_t>(key.entity >> 32) ^ (key.sub << 16 | key.sub >> 16);
  }
  friend class BlockStream;

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() {
    if (pos_ >= 3) refill();  // needs two words: after an odd number of bits32() only one is left
                              // (reading out_[4] was out of bounds; found by UBSan, issue 9)
    const uint64_t hi = out_[pos_] >> 5;   // 27 bits
    const uint64_t lo = out_[pos_ + 1] >> 6;  // 26 bits
    pos_ += 2;
    return static_cast<double>((hi << 26) | lo) * 0x1.0p-53;
  }

  // Uniform double in (0, 1]: safe for log().
  double uniform_pos() { return 1.0 - uniform(); }

  uint32_t bits32() {
    if (pos_ >= 4) refill();
    return out_[pos_++];
  }

  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(uniform_pos()); }

  // Standard normal (normal_from_uniforms below): uniform_pos(), then uniform().
  double normal() {
    const double u1 = uniform_pos();
    return normal_from_uniforms(u1, uniform());
  }

  bool bernoulli(double p) { return uniform() < p; }

  // Poisson(mean). Inversion by sequential search for small means (exact), and for large means
  // the PTRS transformed-rejection method of Hörmann (1993), which is exact as well.
  uint32_t poisson(double mean);

  // Index drawn from cumulative weights cdf[0..n-1] (cdf[n-1] = total).
  template <class Cdf>
  uint32_t categorical(const Cdf& cdf, uint32_t n) {
    const double u = uniform() * cdf[n - 1];
    uint32_t i = 0;
    while (i + 1 < n && !(u < cdf[i])) ++i;
    return i;
  }

 private:
  void refill() {
    r123::Philox4x32::ctr_type c = {{ctr_[0], ctr_[1], ctr_[2], ctr_[3]}};
    r123::Philox4x32::key_type k = {{key_[0], key_[1]}};
    const auto r = philox_(c, k);
    for (int i = 0; i < 4; ++i) out_[i] = r[i];
    ++ctr_[0];
    pos_ = 0;
  }

  r123::Philox4x32 philox_;
  uint32_t key_[2];
  uint32_t ctr_[4];
  uint32_t out_[4] = {0, 0, 0, 0};
  int pos_ = 4;
};

// Random access to the blocks of a stream: block(i) holds the four words a Stream with the same
// key hands out as its i-th block. An event that owns block i (say, the i-th episode of a year)
// gets draws that do not depend on how many words earlier events used, and blocks of a loop are
// independent of each other (no carried state), so the processor overlaps their evaluation.
// (Computing four blocks at once, interleaved or with SSE2, measured no faster in the engine:
// out-of-order execution already overlaps consecutive blocks.)
class BlockStream {
 public:
  explicit BlockStream(const StreamKey& key) {
    const Stream s(key);
    key_ = {{s.key_[0], s.key_[1]}};
    c1_ = s.ctr_[1];
    c2_ = s.ctr_[2];
    c3_ = s.ctr_[3];
  }
  struct Block {
    uint32_t w[4];
  };
  Block block(uint32_t i) const {
    const auto r = r123::Philox4x32{}(r123::Philox4x32::ctr_type{{i, c1_, c2_, c3_}}, key_);
    return Block{{r[0], r[1], r[2], r[3]}};
  }

 private:
  r123::Philox4x32::key_type key_;
  uint32_t c1_ = 0, c2_ = 0, c3_ = 0;
};

// Transforms of single 32-bit words (one word per draw: four draws per block).
// Uniform in [0, 1) on a 2^-32 grid.
inline double u01(uint32_t w) { return static_cast<double>(w) * 0x1.0p-32; }
// Uniform in (0, 1) on the grid shifted by half a step: safe for log(); its largest exponential
// draw is 22.9 means (probability of a larger one 1.2e-10).
inline double u01_open(uint32_t w) { return (static_cast<double>(w) + 0.5) * 0x1.0p-32; }
// An index in [0, n) by multiply-shift (Lemire): each index has probability within n / 2^32 of 1/n.
inline uint32_t below(uint32_t w, uint32_t n) { return static_cast<uint32_t>((static_cast<uint64_t>(w) * n) >> 32); }
// 53-bit uniform in [0, 1) from two words, the same as Stream::uniform() over those words.
inline double u01_53(uint32_t a, uint32_t b) {
  return static_cast<double>((static_cast<uint64_t>(a >> 5) << 26) | (b >> 6)) * 0x1.0p-53;
}

}  // namespace commsim

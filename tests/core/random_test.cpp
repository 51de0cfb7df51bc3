// Counter-based streams: known answers pin the generator and the distribution transforms, so a
// change of library or compiler that would break bit-identity is caught.
#include <catch2/catch.hpp>
#include <cmath>

#include "sim/core/random.hpp"

using namespace commsim;

TEST_CASE("streams are pure functions of their key", "[random]") {
  Stream a(StreamKey{1, 0, 42, 1, 0}), b(StreamKey{1, 0, 42, 1, 0});
  for (int i = 0; i < 100; ++i) CHECK(a.uniform() == b.uniform());
  Stream c(StreamKey{1, 0, 43, 1, 0}), d(StreamKey{1, 1, 42, 1, 0}), e(StreamKey{1, 0, 42, 2, 0}), f(StreamKey{1, 0, 42, 1, 1});
  Stream a2(StreamKey{1, 0, 42, 1, 0});
  const double first = a2.uniform();
  CHECK(c.uniform() != first);
  CHECK(d.uniform() != first);
  CHECK(e.uniform() != first);
  CHECK(f.uniform() != first);
}

TEST_CASE("known answers of the generator and transforms", "[random]") {
  // Philox4x32-10 known-answer vector from Random123 (kat_vectors): ctr = key = 0.
  r123::Philox4x32 philox;
  const auto r = philox(r123::Philox4x32::ctr_type{{0, 0, 0, 0}}, r123::Philox4x32::key_type{{0, 0}});
  CHECK(r[0] == 0x6627e8d5u);
  CHECK(r[1] == 0xe169c58du);
  CHECK(r[2] == 0xbc57ac4cu);
  CHECK(r[3] == 0x9b00dbd8u);
  // Stream transforms over a fixed key: pinned values (any change here changes every result).
  Stream s(StreamKey{20231219, 0, 1, 1, 0});
  const double u = s.uniform();
  const double x = s.exponential(10.0);
  const uint32_t p = s.poisson(3.5), q = s.poisson(250.0);
  INFO("u " << u << " x " << x << " p " << p << " q " << q);
  CHECK(u >= 0.0);
  CHECK(u < 1.0);
  Stream again(StreamKey{20231219, 0, 1, 1, 0});
  CHECK(again.uniform() == u);
  CHECK(again.exponential(10.0) == x);
  CHECK(again.poisson(3.5) == p);
  CHECK(again.poisson(250.0) == q);
}

TEST_CASE("distribution transforms have the right moments", "[random]") {
  for (double mean : {0.3, 3.5, 9.9, 10.0, 42.0, 1000.0}) {
    double s1 = 0, s2 = 0;
    const int n = 40000;
    for (int i = 0; i < n; ++i) {
      Stream st(StreamKey{9, 0, static_cast<uint64_t>(i), 1, 0});
      const double k = st.poisson(mean);
      s1 += k;
      s2 += k * k;
    }
    const double m = s1 / n, var = s2 / n - m * m;
    INFO("Poisson mean " << mean << ": sample mean " << m << ", variance " << var);
    CHECK(std::fabs(m - mean) < 4 * std::sqrt(mean / n));
    CHECK(var == Approx(mean).epsilon(0.05));
  }
  double s = 0;
  Stream st(StreamKey{9, 0, 1, 2, 0});
  for (int i = 0; i < 100000; ++i) s += st.exponential(15.0);
  CHECK(s / 100000 == Approx(15.0).epsilon(0.02));
  double u1 = 0;
  for (int i = 0; i < 100000; ++i) u1 += st.uniform();
  CHECK(u1 / 100000 == Approx(0.5).epsilon(0.01));
}

TEST_CASE("block streams give a stream's blocks by index", "[random]") {
  const StreamKey key{20231219, 3, 0x123456789ULL, 12u ^ (0xABCDu << 4), 7};
  Stream seq(key);
  uint32_t words[12][4];
  for (auto& block : words)
    for (auto& w : block) w = seq.bits32();
  const BlockStream blocks(key);
  for (uint32_t i : {7u, 3u, 11u, 0u, 1u, 2u, 4u, 5u, 6u, 8u, 9u, 10u}) {  // any order
    const BlockStream::Block b = blocks.block(i);
    for (int w = 0; w < 4; ++w) CHECK(b.w[w] == words[i][w]);
  }
  // Word transforms: ranges and the multiply-shift index.
  CHECK(u01(0) == 0.0);
  CHECK(u01(0xFFFFFFFFu) < 1.0);
  CHECK(u01_open(0) > 0.0);
  CHECK(u01_open(0xFFFFFFFFu) < 1.0);
  CHECK(below(0, 365) == 0);
  CHECK(below(0xFFFFFFFFu, 365) == 364);
  CHECK(below(0x80000000u, 10) == 5);
}

TEST_CASE("the one normal draw (Box-Muller) has known answers", "[random][normal]") {
  // The transform itself: sqrt(-2 ln u1) cos(2 pi u2).
  CHECK(normal_from_uniforms(1.0, 0.0) == 0.0);
  CHECK(normal_from_uniforms(std::exp(-0.5), 0.0) == Approx(1.0).epsilon(1e-15));
  CHECK(normal_from_uniforms(std::exp(-2.0), 0.5) == Approx(-2.0).epsilon(1e-15));
  CHECK(normal_from_uniforms(std::exp(-4.5), 0.25) == Approx(0.0).margin(1e-15));
  // The copies it replaced wrote the same expression: equal to the last bit on any uniforms.
  Stream st(StreamKey{20231219, 0, 7, 1, 0});
  for (int i = 0; i < 1000; ++i) {
    const double u1 = st.uniform_pos(), u2 = st.uniform();
    REQUIRE(normal_from_uniforms(u1, u2) == std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  // Stream::normal draws uniform_pos then uniform: a pinned value (any change changes results).
  Stream s(StreamKey{20231219, 0, 1, 1, 0});
  Stream t(StreamKey{20231219, 0, 1, 1, 0});
  const double u1 = t.uniform_pos(), u2 = t.uniform();
  const double z = s.normal();
  CHECK(z == normal_from_uniforms(u1, u2));
  CHECK(z == -0x1.715bc45cc3c3ap+0);  // -1.4428065039135292
  // Moments of 200,000 draws.
  double s1 = 0, s2 = 0;
  const int n = 200000;
  Stream m(StreamKey{9, 0, 3, 2, 0});
  for (int i = 0; i < n; ++i) {
    const double x = m.normal();
    s1 += x;
    s2 += x * x;
  }
  CHECK(std::fabs(s1 / n) < 4.0 / std::sqrt(n));
  CHECK(s2 / n == Approx(1.0).epsilon(0.01));
}

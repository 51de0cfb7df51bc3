// A compact binary form of RunResult, for sending results between MPI ranks (sim/study/runner.cpp).
// Native byte order and widths: both ends are the same program on the same kind of machine.
// deserialize(serialize(r)) == r field for field (tests/study/serialize_test.cpp); a field added to
// RunResult must be added here too (the test's size checks fail until it is).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"

namespace commsim {

std::vector<uint8_t> serialize_run(const RunResult& run);
// Throws RuntimeFailure on a truncated or malformed buffer.
RunResult deserialize_run(const uint8_t* data, size_t size);
inline RunResult deserialize_run(const std::vector<uint8_t>& bytes) { return deserialize_run(bytes.data(), bytes.size()); }

}  // namespace commsim

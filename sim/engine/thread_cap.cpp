#include "sim/engine/thread_cap.hpp"

#include <cstddef>

namespace commsim {

ThreadCap::ThreadCap(int threads, int otherwise) : threads_(threads > 0 ? threads : otherwise > 0 ? otherwise : 0) {
  if (threads_ > 0) limit_.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads_));
}

}  // namespace commsim

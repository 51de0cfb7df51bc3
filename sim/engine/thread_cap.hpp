// The cap on worker threads of the engine's parallel loops (oneTBB), in one place: a command, a
// study rank or a test holds a ThreadCap while it runs. It lives in sim/engine, not sim/core,
// because the engine owns the parallel loops and their library; core stays free of oneTBB.
// Results never depend on the cap (docs/architecture.md), only the time they take.
#pragma once
#include <tbb/global_control.h>

#include <optional>

namespace commsim {

class ThreadCap {
 public:
  // At most `threads` worker threads while this object lives; `threads` <= 0: `otherwise`
  // (typically the scenario's run.threads); both <= 0: no cap (all hardware threads).
  explicit ThreadCap(int threads, int otherwise = 0);
  ThreadCap(const ThreadCap&) = delete;
  ThreadCap& operator=(const ThreadCap&) = delete;
  int threads() const { return threads_; }  // the cap in effect, 0 = none

 private:
  int threads_ = 0;
  std::optional<tbb::global_control> limit_;
};

}  // namespace commsim

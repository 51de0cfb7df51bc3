// The two halves of a worker pool's day (serve_queue in service.cpp): the ready queue — requests
// that have arrived and wait, highest priority level first, first come first served within a
// level — and the worker heap — the workers still on shift, the one free earliest next. Both are
// allocated once per thread and reused (no allocation per request), and both are small enough to
// inline into serve_queue's loop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/demand/demand.hpp"

namespace commsim {

// Requests of one day's queue (sorted by arrival) that have arrived and are not yet served. In the
// common case — one priority level and nothing blocked — the ready requests are the contiguous
// range [head, arrived) of the queue (no copies); otherwise one FIFO of queue indices per level.
class ReadyQueue {
 public:
  // `levels` priority levels (0 = highest); `blocked[s]` drops arrivals of service s (closed today).
  void reset(const Request* queue, size_t n, size_t levels, const uint8_t* blocked, bool any_blocked) {
    queue_ = queue;
    n_ = n;
    blocked_ = blocked;
    any_blocked_ = any_blocked;
    simple_ = levels == 1 && !any_blocked;
    arrived_ = head_ = ready_ = 0;
    if (!simple_) {
      if (fifo_.size() < levels) fifo_.resize(levels);
      fifo_head_.assign(levels, 0);
      for (size_t l = 0; l < levels; ++l) fifo_[l].clear();
    }
  }
  // Makes ready every request arrived by `t`.
  void arrive_until(double t) {
    if (simple_) {
      while (arrived_ < n_ && queue_[arrived_].arrival_min <= t) ++arrived_;
      ready_ = arrived_ - head_;
      return;
    }
    while (arrived_ < n_ && queue_[arrived_].arrival_min <= t) {
      if (!blocked_[queue_[arrived_].service]) {
        fifo_[queue_[arrived_].priority_level].push_back(static_cast<uint32_t>(arrived_));
        ++ready_;
      }
      ++arrived_;
    }
  }
  bool empty() const { return ready_ == 0; }
  // Arrival time of the next request not yet arrived that can be served today; -1 when none.
  double next_arrival() const {
    size_t p = arrived_;
    if (any_blocked_)
      while (p < n_ && blocked_[queue_[p].service]) ++p;
    return p < n_ ? queue_[p].arrival_min : -1.0;
  }
  // Queue index of the request served next: highest level first, FIFO within a level. Not empty().
  uint32_t front() const {
    if (simple_) return static_cast<uint32_t>(head_);
    size_t level = 0;
    while (fifo_head_[level] >= fifo_[level].size()) ++level;
    return fifo_[level][fifo_head_[level]];
  }
  // Removes front() (whose index is `index`).
  void pop(uint32_t index) {
    if (simple_)
      ++head_;
    else
      ++fifo_head_[queue_[index].priority_level];
    --ready_;
  }

 private:
  const Request* queue_ = nullptr;
  size_t n_ = 0;
  const uint8_t* blocked_ = nullptr;
  bool any_blocked_ = false, simple_ = true;
  size_t arrived_ = 0;  // queue entries that have arrived (made ready or dropped as blocked)
  size_t head_ = 0;     // simple case: first ready entry not yet served
  size_t ready_ = 0;
  std::vector<std::vector<uint32_t>> fifo_;  // per level (general case)
  std::vector<size_t> fifo_head_;
};

// Workers still on shift, keyed by the minute each is free next. The next to act is the one free
// earliest, ties to the lowest index. Small pools (the common case: a handful of workers) keep
// them in index order and scan for the minimum; larger pools keep a binary min-heap on
// (free time, index), O(log workers) a step. Both pick the same worker.
class WorkerHeap {
 public:
  static constexpr size_t kScanUpTo = 8;
  // Workers 0..free.size()-1, free at free[w]; `free` is kept by the caller and read through.
  void reset(std::vector<double>& free) {
    free_ = &free;
    const size_t nw = free.size();
    heap_.resize(nw);
    for (size_t i = 0; i < nw; ++i) heap_[i] = static_cast<uint32_t>(i);
    scan_ = nw <= kScanUpTo;
    if (!scan_)
      for (size_t i = nw / 2; i-- > 0;) sift_down(i);
  }
  bool empty() const { return heap_.empty(); }
  // The worker free earliest (ties: lowest index). Not empty().
  size_t top() {
    if (!scan_) return heap_[0];
    const std::vector<double>& free = *free_;
    top_pos_ = 0;
    double best = free[heap_[0]];
    for (size_t i = 1; i < heap_.size(); ++i)
      if (free[heap_[i]] < best) {  // strict: ties stay with the lower index (earlier in the list)
        best = free[heap_[i]];
        top_pos_ = i;
      }
    return heap_[top_pos_];
  }
  // The worker top() returned is done for the day.
  void retire_top() {
    if (scan_) {
      heap_.erase(heap_.begin() + static_cast<std::ptrdiff_t>(top_pos_));
      return;
    }
    heap_[0] = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
  }
  // The free time of the worker top() returned has grown.
  void top_later() {
    if (!scan_) sift_down(0);
  }

 private:
  bool before(uint32_t a, uint32_t b) const {
    const std::vector<double>& free = *free_;
    return free[a] < free[b] || (free[a] == free[b] && a < b);
  }
  void sift_down(size_t i) {
    const size_t size = heap_.size();
    const uint32_t x = heap_[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], x)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = x;
  }
  std::vector<double>* free_ = nullptr;
  std::vector<uint32_t> heap_;
  bool scan_ = true;
  size_t top_pos_ = 0;  // scan: position in heap_ of the worker top() found
};

}  // namespace commsim

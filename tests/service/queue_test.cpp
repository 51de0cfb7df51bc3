// The two halves of a pool's day and serve_queue on hand-made days: priority levels, FIFO within a
// level, closed services, the worker order (scan and heap agree), deadlines, expiry and carry-over,
// and the overtime cap.
#include "sim/service/queue.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "sim/demand/demand.hpp"
#include "sim/service/service.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

Request request(double arrival_min, float duration_min, uint16_t service, uint8_t level, int32_t deadline_day = 0) {
  return Request{.arrival_min = arrival_min, .duration_min = duration_min, .deadline_day = deadline_day,
                 .service = service, .priority_level = level};
}

// One role, one worker, two facility services: "urgent" (priority 1) and "routine" (priority 0).
struct Day {
  Scenario sc;
  std::vector<CompiledService> services;
  WorkerPool pool;
  std::vector<ServiceDay> sdays;
  RoleDay rday;
  QueueScratch scratch;
  std::vector<uint8_t> closed;
  WorkingClock clock;
  TravelModel travel{0, 0, 1.0, false};
  float hh[1] = {0.0f};
  uint8_t type[1] = {0};

  explicit Day(bool expire = true) : sc(test::small_city()) {
    Role role = sc.staffing.roles.front();
    role.name = "worker";
    sc.staffing.roles = {role};
    sc.staffing.rules.clear();
    Service urgent;
    urgent.name = "urgent";
    urgent.role = "worker";
    urgent.priority = 1;
    urgent.expire = expire;
    Service routine = urgent;
    routine.name = "routine";
    routine.priority = 0;
    sc.services = {urgent, routine};
    services = compile_services(sc);
    pool.role = 0;
    pool.staff = 1;
    pool.free_at = {0.0};
    sdays.resize(2);
    closed.assign(2, 0);
    clock = WorkingClock(work_pattern(sc.staffing.roles.front(), sc.staffing), 30);
  }
  // One worker on shift [start, end) with the given overtime cap, then the day's queue.
  void serve(int day, double start, double end, double cap, const std::vector<Request>& arrivals) {
    serve_shifts(day, {Shift{day * 1440.0 + start, day * 1440.0 + end, cap, 0}}, arrivals);
  }
  void serve_shifts(int day, const std::vector<Shift>& shifts, const std::vector<Request>& arrivals) {
    pool.staff = static_cast<int>(shifts.size());
    pool.free_at.resize(shifts.size(), 0.0);
    pool.shifts = shifts;
    for (auto& d : sdays) d.reset();
    rday = RoleDay{};
    serve_queue(services, sc.staffing.roles, travel, hh, hh, type, day, arrivals.data(), arrivals.size(), closed, clock, pool,
                sdays, rday, scratch);
  }
};

}  // namespace

TEST_CASE("ready queue: highest level first, FIFO within a level, closed services skipped", "[service][queue]") {
  const std::vector<Request> q = {request(10, 5, 0, 1), request(11, 5, 1, 0), request(12, 5, 0, 1),
                                  request(13, 5, 1, 0), request(20, 5, 0, 0)};
  ReadyQueue ready;
  const uint8_t none_blocked[2] = {0, 0};
  ready.reset(q.data(), q.size(), 2, none_blocked, false);
  CHECK(ready.empty());
  CHECK(ready.next_arrival() == 10);
  ready.arrive_until(15);
  std::vector<uint32_t> order;
  while (!ready.empty()) {
    const uint32_t i = ready.front();
    order.push_back(i);
    ready.pop(i);
  }
  CHECK(order == std::vector<uint32_t>{1, 3, 0, 2});  // level 0 (11, 13), then level 1 (10, 12)
  CHECK(ready.next_arrival() == 20);

  // One level and nothing blocked: the ready requests are the queue in arrival order.
  ReadyQueue simple;
  simple.reset(q.data(), q.size(), 1, none_blocked, false);
  simple.arrive_until(100);
  order.clear();
  while (!simple.empty()) {
    const uint32_t i = simple.front();
    order.push_back(i);
    simple.pop(i);
  }
  CHECK(order == std::vector<uint32_t>{0, 1, 2, 3, 4});

  // Service 1 closed: its requests never become ready, and the next servable arrival skips them.
  const uint8_t blocked[2] = {0, 1};
  ready.reset(q.data(), q.size(), 2, blocked, true);
  ready.arrive_until(10.5);
  CHECK(ready.front() == 0);
  ready.pop(0);
  CHECK(ready.empty());
  CHECK(ready.next_arrival() == 12);  // 11 is service 1
}

TEST_CASE("worker heap: free earliest first, ties to the lowest index, scan and heap agree", "[service][queue]") {
  for (size_t workers : {3u, 8u, 9u, 40u}) {
    std::vector<double> free(workers, 480.0);
    WorkerHeap heap;
    heap.reset(free);
    CHECK(heap.top() == 0);  // all equal: lowest index
    // Serve jobs of uneven length: the order of workers must follow (free time, index).
    std::vector<size_t> picked;
    for (int job = 0; job < 200; ++job) {
      const size_t w = heap.top();
      for (size_t o = 0; o < workers; ++o) CHECK((free[w] < free[o] || (free[w] == free[o] && w <= o) || o == w));
      picked.push_back(w);
      free[w] += 5.0 + static_cast<double>((job * 7) % 13);
      heap.top_later();
    }
    // Retiring removes a worker for good.
    const size_t first = heap.top();
    heap.retire_top();
    for (size_t k = 0; k + 1 < workers; ++k) {
      CHECK(heap.top() != first);
      heap.retire_top();
    }
    CHECK(heap.empty());
  }
  // The same job sequence gives the same picks in scan mode (8 workers) and heap mode (9 workers,
  // the ninth never free).
  auto picks = [](size_t workers) {
    std::vector<double> free(workers, 480.0);
    if (workers == 9) free[8] = 1e9;
    WorkerHeap heap;
    heap.reset(free);
    std::vector<size_t> out;
    for (int job = 0; job < 100; ++job) {
      const size_t w = heap.top();
      out.push_back(w);
      free[w] += 3.0 + static_cast<double>((job * 5) % 11);
      heap.top_later();
    }
    return out;
  };
  CHECK(picks(8) == picks(9));
}

TEST_CASE("serve_queue: priority before arrival order, waits measured from arrival", "[service][queue]") {
  Day d;
  // The worker starts at 08:00; routine arrived 07:50, urgent 07:55: urgent goes first.
  d.serve(0, 480, 600, 0, {request(470, 10, 1, 1), request(475, 10, 0, 0)});
  CHECK(d.sdays[0].served == 1);
  CHECK(d.sdays[1].served == 1);
  CHECK(d.sdays[0].wait_sum == Approx(5));   // 475 -> 480
  CHECK(d.sdays[1].wait_sum == Approx(20));  // 470 -> 490
  CHECK(d.rday.busy_min == Approx(20));
  CHECK(d.pool.backlog.empty());
}

TEST_CASE("serve_queue: requests past their deadline are unmet, expired or carried over", "[service][queue]") {
  for (bool expire : {true, false}) {
    Day d(expire);
    // One hour on shift, three half-hour requests due today: two are served.
    d.serve(0, 480, 540, 0, {request(470, 30, 1, 1), request(471, 30, 1, 1), request(472, 30, 1, 1)});
    CHECK(d.sdays[1].served == 2);
    CHECK(d.sdays[1].served_in_time == 2);
    CHECK(d.sdays[1].unmet == 1);
    if (expire) {
      CHECK(d.pool.backlog.empty());  // dropped at its deadline
      continue;
    }
    // Kept: still waiting, counted unmet once; served late the next day, not in time.
    REQUIRE(d.pool.backlog.size() == 1);
    CHECK(d.sdays[1].backlog == 1);
    d.serve(1, 480, 540, 0, {});
    CHECK(d.sdays[1].served == 1);
    CHECK(d.sdays[1].served_in_time == 0);
    CHECK(d.sdays[1].unmet == 0);  // not counted twice
    CHECK(d.sdays[1].wait_sum == Approx(1440 + 480 - 472));
    CHECK(d.pool.backlog.empty());
  }
}

TEST_CASE("serve_queue: a service may run into overtime up to the cap, no further", "[service][queue]") {
  Day d;
  // Shift ends at 09:00 with a 20-minute cap: a 25-minute job from 08:50 ends at 09:15 (overtime 15).
  d.serve(0, 480, 540, 20, {request(530, 25, 1, 1)});
  CHECK(d.sdays[1].served == 1);
  CHECK(d.rday.overtime_min == Approx(15));
  // A 35-minute job would end at 09:25, past the cap: not started (unmet at its deadline).
  Day e;
  e.serve(0, 480, 540, 20, {request(530, 35, 1, 1)});
  CHECK(e.sdays[1].served == 0);
  CHECK(e.sdays[1].unmet == 1);
  CHECK(e.rday.overtime_min == 0);
}

TEST_CASE("serve_queue: waits in working minutes skip nights and weekends, expired ones are censored",
          "[service][queue][working-time]") {
  Day d(false);
  d.clock = WorkingClock(WorkPattern{480, 480, 5, {}}, 30);  // 08:00-16:00, Monday to Friday
  // Arrives Friday (day 4) at 17:00, after the shift; served at Monday's (day 7) 08:00 start.
  d.serve(4, 480, 960, 0, {});
  d.pool.backlog.push_back(request(4 * 1440 + 1020, 10, 1, 1, 7));
  d.serve(7, 480, 960, 0, {});
  REQUIRE(d.sdays[1].served == 1);
  CHECK(d.sdays[1].wait_sum == Approx(3 * 1440 + 480 - 1020));  // 2 days 15 hours on the clock
  REQUIRE(d.sdays[1].working_waits.size() == 1);
  CHECK(d.sdays[1].working_waits[0] == 0.0f);                   // no working minute lost
  CHECK(d.sdays[1].working_wait_sum == 0.0);
  CHECK(d.sdays[1].work_min == Approx(10));

  // Expired at the end of its day: censored at the working minutes it waited until then.
  Day e(true);
  e.clock = WorkingClock(WorkPattern{480, 480, 5, {}}, 30);
  e.serve(0, 480, 540, 0, {request(470, 30, 1, 1), request(471, 30, 1, 1), request(472, 30, 1, 1)});
  CHECK(e.sdays[1].unmet == 1);
  REQUIRE(e.sdays[1].working_waits.size() == 3);
  CHECK(e.sdays[1].working_waits[0] == Approx(0));     // served at 08:00: no working minute waited
  CHECK(e.sdays[1].working_waits[1] == Approx(30));    // served at 08:30
  CHECK(e.sdays[1].working_waits[2] == Approx(480));   // expired: the whole 8-hour working day
  CHECK(e.sdays[1].working_wait_sum == Approx(510));
}

TEST_CASE("serve_queue: a request is never started before it arrives", "[service][queue]") {
  // Worker 0 (free first) looks ahead to the 08:15 arrival, cannot finish it before its shift
  // ends at 08:20 (no overtime) and stops; worker 1, free since 08:10, starts it at 08:15, when it
  // arrives — not at 08:10.
  Day d;
  d.serve_shifts(0, {Shift{480, 500, 0, 0}, Shift{490, 960, 0, 1}}, {request(495, 30, 1, 1)});
  REQUIRE(d.sdays[1].served == 1);
  CHECK(d.sdays[1].wait_sum == Approx(0));
  CHECK(d.sdays[1].wait_max == Approx(0));
  REQUIRE(d.sdays[1].working_waits.size() == 1);
  // Started at its arrival: no working minute waited (a start at 08:10 would count -5).
  CHECK(d.sdays[1].working_waits[0] == Approx(0).margin(1e-9));
  CHECK(d.sdays[1].working_wait_sum == Approx(0).margin(1e-9));
  CHECK(d.rday.busy_min == Approx(30));
}

TEST_CASE("the backlog carried over stays in the one request order when merged with a day's arrivals", "[service][queue][order]") {
  Day d(false);
  // Nobody serves (a shift of no length): everything waits; deadlines far ahead.
  d.serve(0, 600, 600, 0, {request(100, 5, 0, 1, 9), request(100, 5, 1, 0, 9), request(700, 5, 0, 1, 9)});
  REQUIRE(d.pool.backlog.size() == 3);
  // Today's arrivals as a calendar hands them: in request order.
  d.serve(1, 600, 600, 0, {request(1440 + 50, 5, 1, 0, 9), request(1440 + 100, 5, 0, 1, 9), request(1440 + 100, 5, 1, 0, 9)});
  const std::vector<Request>& b = d.pool.backlog;
  REQUIRE(b.size() == 6);
  for (size_t i = 1; i < b.size(); ++i) CHECK_FALSE(request_before(b[i], b[i - 1]));
  CHECK(b[0].arrival_min == 100);
  CHECK(b[0].service == 0);
  CHECK(b[1].service == 1);
  CHECK(b[3].arrival_min == 1440 + 50);
}

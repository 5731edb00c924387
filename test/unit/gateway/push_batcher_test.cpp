// Group commit of single-event pushes (push_batcher.hpp) with fake database calls: who goes
// alone, who is batched with whom, what each request gets back when a batch is refused or
// breaks, and that a lane is always handed on. Deterministic: the first push holds the only
// lane inside a gate until every other push is queued (stats().queued); nothing is timed.
#include "gateway/push_batcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/db_error.hpp"

using mcgw::DbError;
using mcgw::DbLimits;
using mcgw::PushBatcher;
using mcgw::TokenCache;
using namespace std::chrono_literals;

namespace {

const DbLimits kLimits{1000, 1000};

// Events are plain words here ("a", "b", ...): the fake array is "[a,b]", an id "id-a".
std::vector<std::string> split_array(const std::string& events) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : events.substr(1, events.size() - 2)) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

struct Fake {
  std::mutex m;
  std::condition_variable cv;
  bool gate_open = true;
  std::vector<std::string> ones;                                              // events pushed alone
  std::vector<std::pair<std::string, std::string>> manys;                     // role, array
  std::function<void(const std::string& events, bool* in_doubt)> many_fails;  // may throw
  std::chrono::microseconds delay{0};  // of every call: lanes end and are handed on meanwhile

  PushBatcher::PushOne one() {
    return
        [this](const DbLimits&, const std::string&, const std::string& event, const std::string&) {
          std::unique_lock<std::mutex> lock(m);
          ones.push_back(event);
          cv.wait(lock, [&] { return gate_open; });
          if (event == "bad") throw DbError("42703", "invalid event: field \"colour\"", "");
          return "id-" + event;
        };
  }
  PushBatcher::PushMany many() {
    return [this](const DbLimits&, const std::string& role, std::string events, const std::string&,
                  bool* in_doubt) {
      {
        std::lock_guard<std::mutex> lock(m);
        manys.emplace_back(role, events);
      }
      std::this_thread::sleep_for(delay);
      if (many_fails) many_fails(events, in_doubt);
      std::vector<std::string> ids;
      for (const std::string& e : split_array(events)) ids.push_back("id-" + e);
      return ids;
    };
  }
  void close_gate() {
    std::lock_guard<std::mutex> lock(m);
    gate_open = false;
  }
  void open_gate() {
    {
      std::lock_guard<std::mutex> lock(m);
      gate_open = true;
    }
    cv.notify_all();
  }
};

void remember(TokenCache& c, const std::map<std::string, std::string>& roles) {
  c.set_enabled(true);
  for (const auto& [token, role] : roles) c.put(token, role, c.epoch());
}

// The events of a fake array, sorted (queued pushes join a batch in their arrival order).
std::vector<std::string> sorted_events(const std::string& events) {
  std::vector<std::string> v = split_array(events);
  std::sort(v.begin(), v.end());
  return v;
}

using Words = std::vector<std::string>;

void wait_holding(Fake& f) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(f.m);
      if (!f.ones.empty() && f.ones.back() == "hold") return;
    }
    std::this_thread::sleep_for(1ms);
  }
}

bool wait_queued(PushBatcher& b, std::uint64_t n) {
  for (int i = 0; i < 100000; ++i) {
    if (b.stats().queued == n) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

struct Outcome {
  std::string id;
  std::string sqlstate;
};

// Runs push(token, event) on a thread; the outcome lands in *out.
std::thread pushing(PushBatcher& b, std::string token, std::string event, std::string queue,
                    Outcome* out) {
  return std::thread([&b, token, event, queue, out] {
    try {
      out->id = b.push(kLimits, token, event, queue);
    } catch (const DbError& e) {
      out->sqlstate = e.sqlstate;
    }
  });
}

// The first push ("hold", token t) takes the only lane and waits at the gate; `queued` pushes
// are then started and waited for in the queue; the gate opens. Returns their outcomes.
std::vector<Outcome> round(PushBatcher& b, Fake& f,
                           const std::vector<std::array<std::string, 3>>& queued) {
  f.close_gate();
  Outcome first;
  std::thread holder = pushing(b, "t", "hold", "rt", &first);
  wait_holding(f);
  std::vector<Outcome> out(queued.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < queued.size(); ++i)
    threads.push_back(pushing(b, queued[i][0], queued[i][1], queued[i][2], &out[i]));
  EXPECT_TRUE(wait_queued(b, queued.size()));
  f.open_gate();
  holder.join();
  for (auto& t : threads) t.join();
  EXPECT_EQ(first.id, "id-hold");
  return out;
}

}  // namespace

TEST(PushBatcher, AloneAtLowLoadAndWithoutARememberedRole) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}});
  PushBatcher b(f.one(), f.many(), &cache, 2);
  EXPECT_EQ(b.push(kLimits, "t", "a", "rt"), "id-a");        // a free lane: at once
  EXPECT_EQ(b.push(kLimits, "unknown", "b", "rt"), "id-b");  // not remembered: alone
  EXPECT_EQ(f.ones, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f.manys.empty());
  EXPECT_EQ(b.stats().batches, 1u);  // the remembered one went through a lane
  EXPECT_THROW(b.push(kLimits, "", "c", "rt"), mcgw::AuthError);
}

TEST(PushBatcher, NoBatchingWithoutLanes) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}});
  PushBatcher b(f.one(), f.many(), &cache, 0);
  EXPECT_EQ(b.push(kLimits, "t", "a", "rt"), "id-a");
  EXPECT_EQ(b.stats().batches, 0u);
}

TEST(PushBatcher, QueuedPushesLeaveTogetherEachWithItsOwnId) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}, {"t2", "writer"}});
  PushBatcher b(f.one(), f.many(), &cache, 1);
  auto out = round(b, f, {{{"t", "a", "rt"}}, {{"t2", "b", "rt"}}, {{"t", "c", "rt"}}});
  EXPECT_EQ(out[0].id, "id-a");
  EXPECT_EQ(out[1].id, "id-b");  // another token of the same role: the same batch
  EXPECT_EQ(out[2].id, "id-c");
  ASSERT_EQ(f.manys.size(), 1u);
  EXPECT_EQ(f.manys[0].first, "writer");
  EXPECT_EQ(split_array(f.manys[0].second).size(), 3u);
  EXPECT_EQ(b.stats().batches, 2u);
  EXPECT_EQ(b.stats().batched_events, 4u);
  EXPECT_EQ(b.stats().queued, 0u);
}

TEST(PushBatcher, BatchesAreByRoleAndQueue) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}, {"r", "reader"}});
  PushBatcher b(f.one(), f.many(), &cache, 1);
  auto out = round(b, f,
                   {{{"t", "a", "rt"}},
                    {{"r", "b", "rt"}},
                    {{"t", "c", "batch"}},
                    {{"t", "d", "rt"}},
                    {{"r", "e", "rt"}}});
  for (std::size_t i = 0; i < out.size(); ++i)
    EXPECT_EQ(out[i].id, "id-" + std::string(1, 'a' + i));
  // writer/rt {a, d}, reader/rt {b, e}, writer/batch {c} (alone: the single-event path)
  ASSERT_EQ(f.manys.size(), 2u);
  for (const auto& [role, events] : f.manys)
    EXPECT_EQ(sorted_events(events), (role == "writer" ? Words{"a", "d"} : Words{"b", "e"}))
        << role;
  EXPECT_EQ(f.ones.back(), "c");
  EXPECT_EQ(b.stats().batches, 4u);
}

TEST(PushBatcher, ARefusedBatchIsRetriedOneByOne) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}});
  f.many_fails = [](const std::string& events, bool*) {
    if (events.find("bad") != std::string::npos)
      throw DbError("42703", "invalid event at index 1: field \"colour\"", "");
  };
  PushBatcher b(f.one(), f.many(), &cache, 1);
  auto out = round(b, f, {{{"t", "a", "rt"}}, {{"t", "bad", "rt"}}, {{"t", "c", "rt"}}});
  EXPECT_EQ(out[0].id, "id-a");
  EXPECT_EQ(out[1].id, "");
  EXPECT_EQ(out[1].sqlstate, "42703");  // its own refusal, from its own push
  EXPECT_EQ(out[2].id, "id-c");
  EXPECT_EQ(b.stats().retried_batches, 1u);
  // hold, then a, bad, c alone
  EXPECT_EQ(f.ones.size(), 4u);
}

TEST(PushBatcher, ABrokenExchangeIsNeverRetried) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}});
  f.many_fails = [](const std::string&, bool* in_doubt) {
    *in_doubt = true;
    throw DbError("08006", "server closed the connection unexpectedly", "");
  };
  PushBatcher b(f.one(), f.many(), &cache, 1);
  auto out = round(b, f, {{{"t", "a", "rt"}}, {{"t", "b", "rt"}}});
  EXPECT_EQ(out[0].sqlstate, "08006");
  EXPECT_EQ(out[1].sqlstate, "08006");
  EXPECT_EQ(f.ones.size(), 1u);  // the holder only: the batch may have committed
  EXPECT_EQ(b.stats().retried_batches, 0u);
}

TEST(PushBatcher, ATokenForgottenWhileQueuedGoesAlone) {
  Fake f;
  TokenCache cache(3600s, 100);
  remember(cache, {{"t", "writer"}, {"t2", "writer"}, {"gone", "writer"}});
  PushBatcher b(f.one(), f.many(), &cache, 1);
  f.close_gate();
  Outcome first;
  std::thread holder = pushing(b, "t", "hold", "rt", &first);
  wait_holding(f);
  std::vector<Outcome> out(3);
  std::thread t1 = pushing(b, "t", "a", "rt", &out[0]);
  std::thread t2 = pushing(b, "gone", "b", "rt", &out[1]);
  std::thread t3 = pushing(b, "t2", "c", "rt", &out[2]);
  ASSERT_TRUE(wait_queued(b, 3));
  cache.forget("gone");  // e.g. its remembered role failed for another request
  f.open_gate();
  for (std::thread* t : {&holder, &t1, &t2, &t3}) t->join();
  EXPECT_EQ(out[0].id, "id-a");
  EXPECT_EQ(out[1].id, "id-b");
  EXPECT_EQ(out[2].id, "id-c");
  ASSERT_EQ(f.manys.size(), 1u);
  EXPECT_EQ(sorted_events(f.manys[0].second), (Words{"a", "c"}));
  EXPECT_EQ(f.ones.back(), "b");  // looked up again on its own
}

TEST(PushBatcher, EveryLaneIsHandedOnUnderLoad) {
  Fake f;
  std::map<std::string, std::string> roles;
  for (int i = 0; i < 8; ++i) roles["t" + std::to_string(i)] = i % 2 ? "writer" : "other";
  TokenCache cache(3600s, 100);
  remember(cache, roles);
  f.many_fails = [](const std::string& events, bool*) {
    if (events.find("x3") != std::string::npos) throw DbError("22P02", "bad", "");
  };
  f.delay = 20us;
  PushBatcher b(f.one(), f.many(), &cache, 2, 3);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        std::string event = "x" + std::to_string(k % 5);
        if (b.push(kLimits, "t" + std::to_string(i), event, k % 3 ? "rt" : "batch") ==
            "id-" + event)
          ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1600);
  EXPECT_EQ(b.stats().queued, 0u);
  EXPECT_EQ(b.stats().free_lanes, 2u);  // every lane handed on or given back, none lost
  EXPECT_EQ(b.push(kLimits, "t1", "z", "rt"), "id-z");
}

// The sender worker (backend_type `mc sender`, launched by launcher.cpp): one slot of
// mc.sender_worker, one loop:
//   claim (a short transaction: routed providers if they changed, then up to each provider's
//   free capacity of pending messages, rt first, under the run's lease token) -> commit ->
//   hand them to the providers' senders (pipelining SMTP and keep-alive HTTP clients, or
//   libcurl; never blocking on one connection) -> wait: poll(2) on the sockets while messages
//   are in flight, else ONE WaitEventSet: the latch (processing's commit, mc._wake_senders),
//   postmaster death, every socket, the senders' next timer -> let them progress -> record
//   the finished outcomes in batches (a short transaction, only rows the run still holds:
//   each outcome once).
// Errors: every PostgreSQL call goes through pg::call; a failed claim, record or wait aborts
// its transaction, is logged as a WARNING and the loop goes on (one bad message never ends the
// worker: a message that cannot be built fails on its own). SIGTERM: finish what is in
// flight (up to 2 s), release the rest, exit 1 (restarted in 5 s) if the slot is still ours,
// else 0 (mc.stop_workflows: gone for good). SIGHUP: reload the configuration file.
#include "pg/guard.hpp"
#include "pg/postgres.hpp"
#include "sender/dispatcher.hpp"
#include "pg/datum_columns.hpp"
#include "pg/spi_statement.hpp"
#include "sender/claimed_message.hpp"
#include "sender/transaction.hpp"
#include "core/utf8_text.hpp"

#include <curl/curl.h>
#include <poll.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

PGDLLEXPORT void mc_sender_main(Datum arg);
}

namespace mc::sender {
namespace {

volatile sig_atomic_t got_sigterm = 0;

void on_sigterm([[maybe_unused]] SIGNAL_ARGS) {
  int saved = errno;
  got_sigterm = 1;
  SetLatch(MyLatch);
  errno = saved;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int kClaimEveryMs = 1000;  // also without a wake-up (deferred messages come due)
constexpr int kRecordBatch = 256;    // outcomes per record transaction at most...
constexpr int kRecordDelayMs = 20;   // ...or once the oldest waited this long
constexpr int kErrorPauseMs = 1000;  // after a failed step
constexpr int kDrainMs = 2000;       // SIGTERM: how long in-flight transfers may finish
constexpr int kBusyPollMs = 2;       // longest wait by poll(2) with messages in flight

// Wall time per phase of a busy period (from the first message in flight to none left),
// logged at DEBUG1 when it ends: where a worker's time goes (bench/README.md, "Sender").
struct Phases {
  std::int64_t claim = 0, record = 0, wait = 0, process = 0, steps = 0, claims = 0, records = 0,
               messages = 0, start = 0;
};
Phases phases;
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Worker {
  int slot = 0;
  TransactionId launcher_xid = InvalidTransactionId;  // launcher.cpp: waited for before attaching
  std::string token;
  Dispatcher dispatcher;
  std::vector<Outcome> unrecorded;
  std::int64_t first_unrecorded_ms = 0;
  std::int64_t last_claim_ms = 0;
  std::int64_t pause_until_ms = 0;
  bool want_claim = true;  // woken, or due: claim at the next step
  // Read the routes and providers again at the next claim: woken (mc.create_provider,
  // mc.route_channel ... wake the workers at commit), or the claim once a second. Not on every
  // claim under a backlog: that query was 5 % of the claim.
  bool check_config = true;
  bool backlog = false;  // the last claim took all it asked for: more is pending
  // Cursors: per channel, the last rt and batch ids claimed. Under a backlog the next claim
  // starts past them (mc._sender_claim's after_rt/after_batch) instead of walking again over
  // the index entries of messages in flight or just sent. Without a backlog, and once a
  // second, a claim starts from the beginning: deferred messages come due, released ones and
  // ids committed out of order (two processing transactions) are found there.
  std::map<std::string, std::pair<long long, long long>> cursors;
  std::int64_t last_full_claim_ms = 0;
  bool stopping = false;
  int exit_code = 1;
  std::int64_t drain_until_ms = 0;
};

// Runs one step of work; a PostgreSQL or C++ error aborts the step's transaction and is logged.
template <typename F>
bool guarded(Worker& w, const char* step, F&& f) {
  char message[1024];
  message[0] = '\0';
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof message, "%s: %s", step, e.what());
  }
  abort_transaction(message);  // a PgError from here ends the worker (exit 1, restarted)
  w.pause_until_ms = now_ms() + kErrorPauseMs;
  return false;
}

// The worker's statements: prepared once and kept for its life (pg::Statement; prepared again
// if the extension is re-created), parameters and result columns by name.
pg::Statement attach_statement("SELECT mc._sender_attach($slot, $pid) AS token",
                               {{"slot", INT4OID}, {"pid", INT4OID}}, {"token"});
pg::Statement config_statement("SELECT mc._sender_config($known) AS config", {{"known", TEXTOID}},
                               {"config"});
pg::Statement claim_statement(
    "SELECT * FROM mc._sender_claim($slot, $token::uuid, $channels, $limits, $after_rt, "
    "$after_batch, $with_event)",
    {{"slot", INT4OID},
     {"token", TEXTOID},
     {"channels", TEXTARRAYOID},
     {"limits", INT4ARRAYOID},
     {"after_rt", INT8ARRAYOID},
     {"after_batch", INT8ARRAYOID},
     {"with_event", BOOLARRAYOID}},
    {"event_id", "channel", "queue", "address", "sender", "subject", "body_html", "body_text",
     "push_data", "webhook_url", "unsubscribe_url", "attempts", "max_attempts", "valid_until",
     "external_id", "event_type", "language", "country"});
pg::Statement record_statement(
    "SELECT mc._sender_record($token::uuid, $event_ids, $statuses, $reasons, $message_ids, "
    "$retry_at, $quarantines, $providers, $softs)",
    {{"token", TEXTOID},
     {"event_ids", INT8ARRAYOID},
     {"statuses", TEXTARRAYOID},
     {"reasons", TEXTARRAYOID},
     {"message_ids", TEXTARRAYOID},
     {"retry_at", INT8ARRAYOID},
     {"quarantines", TEXTARRAYOID},
     {"providers", TEXTARRAYOID},
     {"softs", TEXTARRAYOID}});
pg::Statement slot_statement(
    "SELECT EXISTS (SELECT FROM mc.sender_worker WHERE slot = $slot AND run_token = "
    "$token::uuid) AS ours",
    {{"slot", INT4OID}, {"token", TEXTOID}}, {"ours"});
pg::Statement extension_statement("SELECT to_regclass('mc.sender_worker') IS NOT NULL AS present",
                                  {}, {"present"});
pg::Statement release_statement("SELECT mc._sender_release($token::uuid)", {{"token", TEXTOID}});

// The rows of a claim as messages (claim_statement's columns, in its order; text as read).
std::vector<ClaimedMessage> claimed_messages() {
  const pg::Statement& st = claim_statement;
  std::vector<pg::Statement::Column> columns;
  for (const char* name :
       {"event_id", "channel", "queue", "address", "sender", "subject", "body_html", "body_text",
        "push_data", "webhook_url", "unsubscribe_url", "attempts", "max_attempts", "valid_until",
        "external_id", "event_type", "language", "country"})
    columns.push_back(st.column(name));
  std::vector<ClaimedMessage> out;
  for (Row& r : rows_as_text(st, columns)) {
    if (!r[0]) continue;  // the row of NULLs of a stale run: see claim()
    auto take = [&](int c) { return r[c] ? std::move(*r[c]) : std::string(); };
    ClaimedMessage m;
    m.event_id = std::stoull(*r[0]);
    m.channel = take(1);
    m.queue = take(2);
    m.address = take(3);
    m.sender = take(4);
    m.subject = take(5);
    m.body_html = take(6);
    m.body_text = take(7);
    m.push_data = take(8);
    m.webhook_url = take(9);
    m.unsubscribe_url = take(10);
    if (r[11]) m.attempts = std::stoi(*r[11]);
    if (r[12]) m.max_attempts = std::stoi(*r[12]);
    if (r[13]) m.valid_until = static_cast<std::int64_t>(std::stod(*r[13]));
    m.external_id = take(14);
    m.type = take(15);
    m.language = take(16);
    m.country = take(17);
    out.push_back(std::move(m));
  }
  return out;
}

bool attach(Worker& w) {
  std::optional<std::string> token;
  begin_transaction("mc sender: attach");
  if (TransactionIdIsValid(w.launcher_xid)) {
    TransactionId xid = w.launcher_xid;
    pg::call([&] { XactLockTableWait(xid, nullptr, nullptr, XLTW_None); });
  }
  pg::Statement::Args args(attach_statement);
  args.set_int4("slot", w.slot).set_int4("pid", MyProcPid);
  attach_statement.run(args);
  token = first_text(attach_statement, attach_statement.column("token"));
  commit_transaction();
  if (!token) return false;
  w.token = *token;
  return true;
}

void claim(Worker& w) {
  std::int64_t t0 = now_us();
  struct Add {
    std::int64_t t0;
    ~Add() {
      phases.claim += now_us() - t0;
      ++phases.claims;
    }
  } add{t0};
  std::vector<std::string> channels;
  std::vector<int> limits;
  std::vector<bool> with_event;
  std::int64_t started = now_ms();
  if (!w.backlog || started - w.last_full_claim_ms >= kClaimEveryMs) {
    w.cursors.clear();
    w.last_full_claim_ms = started;
    w.check_config = true;
  }
  begin_transaction("mc sender: claim");
  if (w.check_config) {
    pg::Statement::Args args(config_statement);
    args.set_text("known", w.dispatcher.signature());
    config_statement.run(args);
    std::optional<std::string> config =
        first_text(config_statement, config_statement.column("config"));
    if (config) w.dispatcher.configure(*config);
    w.check_config = false;
  }
  w.dispatcher.claim_limits(channels, limits, with_event);
  pg::DatumColumn channel_names(pg::DatumColumn::Kind::Text),
      claim_limits(pg::DatumColumn::Kind::Int4), after_rt(pg::DatumColumn::Kind::Int8),
      after_batch(pg::DatumColumn::Kind::Int8), event_fields(pg::DatumColumn::Kind::Bool);
  for (std::size_t i = 0; i < channels.size(); ++i) {
    channel_names.add_text(channels[i]);
    claim_limits.add_int4(limits[i]);
    event_fields.add_bool(with_event[i]);
    auto it = w.cursors.find(channels[i]);
    if (it == w.cursors.end()) {
      after_rt.add_null();
      after_batch.add_null();
    } else {
      after_rt.add_int8(it->second.first);
      after_batch.add_int8(it->second.second);
    }
  }
  pg::Statement::Args args(claim_statement);
  args.set_int4("slot", w.slot)
      .set_text("token", w.token)
      .set_array("channels", channel_names)
      .set_array("limits", claim_limits)
      .set_array("after_rt", after_rt)
      .set_array("after_batch", after_batch)
      .set_array("with_event", event_fields);
  claim_statement.run(args);
  std::vector<ClaimedMessage> messages = claimed_messages();
  // One row of NULLs: the slot is gone (stopped) or another worker took it.
  bool stale = claim_statement.rows() == 1 && messages.empty();
  commit_transaction();
  w.last_claim_ms = now_ms();
  w.want_claim = false;
  if (stale) {
    w.stopping = true;
    w.exit_code = 0;
    w.drain_until_ms = now_ms() + kDrainMs;
    return;
  }
  for (const ClaimedMessage& m : messages) {
    auto& cursor = w.cursors[m.channel];
    long long id = static_cast<long long>(m.event_id);
    long long& last = m.queue == "rt" ? cursor.first : cursor.second;
    if (id > last) last = id;
  }
  std::size_t before = w.dispatcher.in_flight() + w.dispatcher.outcomes().size();
  w.dispatcher.dispatch(messages);
  int wanted = 0;
  for (int l : limits) wanted += l;
  // A full claim: more is pending; claim again as soon as half the capacity is free.
  w.backlog = wanted > 0 && w.dispatcher.in_flight() + w.dispatcher.outcomes().size() >=
                                before + static_cast<std::size_t>(wanted);
}

// Whether to claim now: woken, due (every second), or a backlog and room for it.
bool claim_due(Worker& w, std::int64_t now) {
  if (w.stopping || now < w.pause_until_ms) return false;
  if (w.want_claim || now - w.last_claim_ms >= kClaimEveryMs) return true;
  if (!w.backlog) return false;
  int free, total;
  w.dispatcher.capacity(free, total);
  return free * 2 >= total;
}

void record_batch(Worker& w, const std::vector<Outcome>& batch) {
  struct Add {
    std::int64_t t0;
    ~Add() {
      phases.record += now_us() - t0;
      ++phases.records;
    }
  } add{now_us()};
  phases.messages += batch.size();
  using Kind = pg::DatumColumn::Kind;
  pg::DatumColumn ids(Kind::Int8), statuses(Kind::Text), reasons(Kind::Text),
      message_ids(Kind::Text), retry_at(Kind::Int8), quarantines(Kind::Text), providers(Kind::Text),
      softs(Kind::Text);
  // An empty string is "none": NULL in SQL. A reason may quote a server's reply, in any bytes:
  // a text column takes well-formed UTF-8 only (as the JSON document of 0.4.0 did, invalid
  // bytes become U+FFFD).
  auto text_or_null = [](pg::DatumColumn& column, const std::string& value) {
    if (value.empty())
      column.add_null();
    else
      column.add_text(core::valid_utf8_text(value));
  };
  for (const Outcome& o : batch) {
    ids.add_int8(static_cast<int64>(o.event_id));
    statuses.add_text(o.status);
    text_or_null(reasons, o.reason);
    text_or_null(message_ids, o.message_id);
    if (o.status == "deferred")
      retry_at.add_int8(o.retry_at);
    else
      retry_at.add_null();
    text_or_null(quarantines, o.quarantine);
    text_or_null(providers, o.provider);
    text_or_null(softs, o.soft);
  }
  begin_transaction("mc sender: record");
  pg::Statement::Args args(record_statement);
  args.set_text("token", w.token)
      .set_array("event_ids", ids)
      .set_array("statuses", statuses)
      .set_array("reasons", reasons)
      .set_array("message_ids", message_ids)
      .set_array("retry_at", retry_at)
      .set_array("quarantines", quarantines)
      .set_array("providers", providers)
      .set_array("softs", softs);
  record_statement.run(args);
  commit_transaction();
}

void record(Worker& w) {
  if (w.unrecorded.empty()) return;
  std::vector<Outcome> batch;
  batch.swap(w.unrecorded);
  if (guarded(w, "record", [&] { record_batch(w, batch); })) return;
  // One by one, so one bad outcome never holds back the others; what still fails is claimed
  // again when its lease ends (sent twice at worst, recorded once).
  for (const Outcome& o : batch) guarded(w, "record one", [&] { record_batch(w, {o}); });
}

bool slot_still_ours(Worker& w) {
  bool ours = false;
  guarded(w, "check slot", [&] {
    begin_transaction("mc sender: stop");
    pg::Statement::Args args(slot_statement);
    args.set_int4("slot", w.slot).set_text("token", w.token);
    slot_statement.run(args);
    auto r = first_text(slot_statement, slot_statement.column("ours"));
    commit_transaction();
    ours = r && *r == "t";
  });
  return ours;
}

// Whether the extension is still installed in the worker's database (after a failed claim).
bool extension_present(Worker& w) {
  bool present = true;
  guarded(w, "check extension", [&] {
    begin_transaction("mc sender: check");
    extension_statement.run(pg::Statement::Args(extension_statement));
    auto r = first_text(extension_statement, extension_statement.column("present"));
    commit_transaction();
    present = r && *r == "t";
  });
  return present;
}

void release(Worker& w) {
  guarded(w, "release", [&] {
    begin_transaction("mc sender: release");
    pg::Statement::Args args(release_statement);
    args.set_text("token", w.token);
    release_statement.run(args);
    commit_transaction();
  });
}

// Without waiting: poll(2) the sockets and look at the latch. Under load something is almost
// always ready, and building a WaitEventSet each step (an epoll instance, a registration per
// socket, a close) was 13 % of a busy worker (perf). Mirrors latch.c's mapping of poll results
// (an error or hang-up wakes whichever direction was asked for). False when nothing is ready.
bool poll_ready(const std::vector<delivery::WaitSocket>& sockets, std::vector<WaitEvent>& events,
                int* count, int wait_ms) {
  std::vector<pollfd> fds(sockets.size());
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    fds[i].fd = sockets[i].fd;
    fds[i].events = static_cast<short>((sockets[i].read || !sockets[i].write ? POLLIN : 0) |
                                       (sockets[i].write ? POLLOUT : 0));
  }
  int r = fds.empty() ? 0 : ::poll(fds.data(), fds.size(), wait_ms);
  bool latch = MyLatch->is_set;
  if (r <= 0 && !latch) return false;
  int n = 0;
  if (latch) {
    events[n] = WaitEvent{};
    events[n++].events = WL_LATCH_SET;
  }
  for (std::size_t i = 0; r > 0 && i < fds.size(); ++i) {
    short got = fds[i].revents;
    if (got == 0) continue;
    bool fail = (got & (POLLERR | POLLHUP | POLLNVAL)) != 0;
    uint32 flags = 0;
    if ((fds[i].events & POLLIN) && (fail || (got & POLLIN))) flags |= WL_SOCKET_READABLE;
    if ((fds[i].events & POLLOUT) && (fail || (got & POLLOUT))) flags |= WL_SOCKET_WRITEABLE;
    if (flags == 0) continue;
    events[n] = WaitEvent{};
    events[n].events = flags;
    events[n].fd = fds[i].fd;
    events[n++].user_data = reinterpret_cast<void*>(static_cast<intptr_t>(i + 1));
  }
  *count = n;
  return true;
}

// One wait on the latch, postmaster death and the curl sockets.
void wait(const std::vector<delivery::WaitSocket>& sockets, long timeout_ms, bool busy,
          std::vector<WaitEvent>& events, int* count) {
  // Postmaster death is otherwise seen by the WaitEventSet only, which a busy worker may not
  // reach for a long time (cheap: a flag set by a signal on Linux).
  if (!pg::call([] { return PostmasterIsAlive(); })) pg::call([] { proc_exit(1); });
  if (poll_ready(sockets, events, count, 0)) return;
  if (timeout_ms == 0) {
    *count = 0;
    return;
  }
  // Waiting for replies (messages in flight): poll(2) for up to kBusyPollMs, not a WaitEventSet
  // (still ~13 % of the worker at ~20,000 messages/s, almost all epoll set-up and tear-down).
  // A latch set meanwhile is seen when the poll returns: a claim at most kBusyPollMs late.
  if (busy && !sockets.empty()) {
    if (!poll_ready(sockets, events, count,
                    static_cast<int>(std::min<long>(timeout_ms, kBusyPollMs))))
      *count = 0;
    return;
  }
  int nsockets = static_cast<int>(sockets.size());
  const delivery::WaitSocket* socks = sockets.data();
  WaitEvent* out = events.data();
  int capacity = static_cast<int>(events.size());
  *count = pg::call([&] {
    WaitEventSet* set = CreateWaitEventSet(CurrentMemoryContext, nsockets + 2);
    AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
    AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
    for (int i = 0; i < nsockets; ++i) {
      uint32 flags =
          (socks[i].read ? WL_SOCKET_READABLE : 0) | (socks[i].write ? WL_SOCKET_WRITEABLE : 0);
      if (flags == 0) flags = WL_SOCKET_READABLE;
      AddWaitEventToSet(set, flags, socks[i].fd, nullptr,
                        reinterpret_cast<void*>(static_cast<intptr_t>(i + 1)));
    }
    int n = WaitEventSetWait(set, timeout_ms, out, capacity, PG_WAIT_EXTENSION);
    FreeWaitEventSet(set);
    return n;
  });
}

void step(Worker& w) {
  std::int64_t now = now_ms();
  if (got_sigterm && !w.stopping) {
    w.stopping = true;
    w.exit_code = slot_still_ours(w) ? 1 : 0;
    w.drain_until_ms = now + kDrainMs;
  }
  if (ConfigReloadPending) {
    ConfigReloadPending = false;
    pg::call([] { ProcessConfigFile(PGC_SIGHUP); });
  }
  if (claim_due(w, now) && !guarded(w, "claim", [&] { claim(w); }) && !extension_present(w)) {
    // DROP EXTENSION: nothing left to work for; exit 0 (no restart).
    w.stopping = true;
    w.exit_code = 0;
    w.drain_until_ms = now;
  }

  auto& done = w.dispatcher.outcomes();
  if (!done.empty()) {
    if (w.unrecorded.empty()) w.first_unrecorded_ms = now;
    for (auto& o : done) w.unrecorded.push_back(std::move(o));
    done.clear();
  }
  if (!w.unrecorded.empty() &&
      (w.unrecorded.size() >= kRecordBatch || w.dispatcher.in_flight() == 0 ||
       now - w.first_unrecorded_ms >= kRecordDelayMs || w.stopping))
    record(w);

  std::vector<delivery::WaitSocket> sockets;
  std::vector<int> owner;
  long curl_timeout;
  w.dispatcher.wait_sockets(sockets, owner, curl_timeout);
  long timeout = kClaimEveryMs - (now - w.last_claim_ms);
  if (curl_timeout >= 0 && curl_timeout < timeout) timeout = curl_timeout;
  if (!w.unrecorded.empty() && timeout > kRecordDelayMs) timeout = kRecordDelayMs;
  if (claim_due(w, now)) timeout = 0;
  if (w.stopping) timeout = std::min<long>(timeout, 50);
  if (timeout < 0) timeout = 0;

  std::vector<WaitEvent> events(sockets.size() + 2);
  int n = 0;
  std::int64_t tw = now_us();
  if (phases.start == 0 && w.dispatcher.in_flight() > 0) phases.start = tw;
  if (phases.start != 0 && w.dispatcher.in_flight() == 0 && w.unrecorded.empty()) {
    std::int64_t total = tw - phases.start;
    char line[256];
    std::snprintf(line, sizeof line,
                  "mc sender profile: %lld messages in %lld ms: claim %lld ms (%lld), record %lld "
                  "ms (%lld), wait %lld ms, curl %lld ms, steps %lld",
                  (long long)phases.messages, (long long)(total / 1000),
                  (long long)(phases.claim / 1000), (long long)phases.claims,
                  (long long)(phases.record / 1000), (long long)phases.records,
                  (long long)(phases.wait / 1000), (long long)(phases.process / 1000),
                  (long long)phases.steps);
    pg::call([&] { ereport(DEBUG1, (errmsg("%s", line))); });
    phases = Phases{};
  }
  bool busy = w.dispatcher.in_flight() > 0;
  if (!guarded(w, "wait", [&] { wait(sockets, timeout, busy, events, &n); })) return;
  phases.wait += now_us() - tw;
  ++phases.steps;
  std::vector<delivery::ReadySocket> ready;
  std::vector<int> ready_owner;
  for (int i = 0; i < n; ++i) {
    const WaitEvent& e = events[i];
    if (e.events & WL_LATCH_SET) {
      ResetLatch(MyLatch);  // cannot fail
      w.want_claim = true;
      w.check_config = true;
      continue;
    }
    auto index = reinterpret_cast<intptr_t>(e.user_data);
    if (index <= 0) continue;
    ready.push_back({sockets[index - 1].fd, (e.events & WL_SOCKET_READABLE) != 0,
                     (e.events & WL_SOCKET_WRITEABLE) != 0, false});
    ready_owner.push_back(owner[index - 1]);
  }
  pg::call([] { CHECK_FOR_INTERRUPTS(); });
  std::int64_t tp = now_us();
  w.dispatcher.process(ready, ready_owner);
  phases.process += now_us() - tp;
}

int run(int slot, TransactionId launcher_xid) {
  auto w = std::make_unique<Worker>();
  w->slot = slot;
  w->launcher_xid = launcher_xid;
  bool attached = false;
  if (!guarded(*w, "attach", [&] { attached = attach(*w); })) return 1;
  if (!attached) return 0;  // the slot is gone or taken: nothing to do, for good
  for (;;) {
    step(*w);
    if (w->stopping) {
      bool drained = w->dispatcher.in_flight() == 0 && w->unrecorded.empty() &&
                     w->dispatcher.outcomes().empty();
      if (drained || now_ms() >= w->drain_until_ms) {
        record(*w);
        release(*w);
        return w->exit_code;
      }
    }
  }
}

// The whole worker in C++; nothing escapes it.
int run_guarded(int slot, TransactionId launcher_xid) {
  char message[1024];
  try {
    return run(slot, launcher_xid);
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof message, "%s", e.what());
  } catch (...) {
    std::snprintf(message, sizeof message, "unknown C++ exception");
  }
  pg::call([&] { ereport(LOG, (errmsg("mc sender exits after an error: %s", message))); });
  return 1;
}

}  // namespace
}  // namespace mc::sender

void mc_sender_main(Datum arg) {
  int slot = DatumGetInt32(arg);
  pqsignal(SIGTERM, mc::sender::on_sigterm);
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  BackgroundWorkerUnblockSignals();
  Oid ids[2];
  std::memcpy(ids, MyBgworkerEntry->bgw_extra, sizeof ids);
  BackgroundWorkerInitializeConnectionByOid(ids[0], ids[1], 0);
  char name[64];
  std::snprintf(name, sizeof name, "mc sender %d", slot);
  pgstat_report_appname(name);
  // The worker's commits do not wait for the WAL flush: a claim or an outcome lost in a crash
  // (the last ~200 ms, wal_writer_delay) leaves its message pending, sent again: at-least-once
  // delivery, as for messages in flight; outcomes are still recorded once (lease tokens).
  SetConfigOption("synchronous_commit", "off", PGC_USERSET, PGC_S_OVERRIDE);
  // libcurl's global state (OpenSSL included), once per process, before any handle.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    ereport(FATAL, (errmsg("mc sender: curl_global_init failed")));
  TransactionId launcher_xid;
  std::memcpy(&launcher_xid, MyBgworkerEntry->bgw_extra + sizeof ids, sizeof launcher_xid);
  int code = mc::sender::run_guarded(slot, launcher_xid);
  proc_exit(code);
}

// intake_bench: batch intake throughput against a live server (see bench/README.md).
//
//   intake_bench MODE CALLS EVENTS_PER_CALL [WARMUP_CALLS]
//
// MODE is one of
//   copy_plain   COPY bench.plain_event (cols) FROM STDIN, text format   (the baseline)
//   push_events  SELECT count(*) FROM mc.push_events($1::jsonb, 'batch'), the JSON array sent
//                as a text parameter, so the server parses it on every call
//   push_events_json  SELECT count(*) FROM mc.push_events_json($1, 'batch'): the same array
//                as text, read by the extension without building a jsonb of the whole array
//   copy_batch   COPY mc.batch_event (cols) FROM STDIN, text format (CHECK-validated)
// Every call is its own transaction (autocommit) and carries the same EVENTS_PER_CALL events;
// the payloads are built before the clock starts. WARMUP_CALLS (default 1) run first inside a
// transaction that is rolled back: they load the extension and warm the caches, as in a
// long-lived application connection. The connection comes from the libpq environment (PGHOST,
// PGPORT, PGUSER, PGDATABASE, ...).
//
// Prints one line: mode=... calls=... events_per_call=... rows=... seconds=... rows_per_s=...
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char* kColumns =
    "event_type, email, external_id, origin, wished_channel, language, country, ctx";

// One event, the same for every mode. About 330 bytes as a JSON document, like the
// single-row benchmark's (bench/intake/push_event.sql): an order with three line items.
struct Event {
  std::string type, email, external_id, origin, channel, language, country, ctx;
};

Event make_event(int i) {
  Event e;
  std::string n = std::to_string(i);
  e.type = "order_confirmed";
  e.email = "customer" + n + "@example.com";
  e.external_id = "c-" + n;
  e.origin = "shop";
  e.channel = "email";
  e.language = "en";
  e.country = "SE";
  e.ctx = "{\"firstName\":\"Ada\",\"order\":{\"id\":\"SO-" + std::to_string(100000 + i) +
          "\",\"items\":[{\"sku\":\"TEA-01\",\"name\":\"Green tea\",\"qty\":2},"
          "{\"sku\":\"MUG-07\",\"name\":\"Mug\",\"qty\":1},"
          "{\"sku\":\"SPN-03\",\"name\":\"Spoon\",\"qty\":2}]}}";
  return e;
}

// Our values never need JSON escaping (ASCII letters, digits and punctuation only).
std::string json_string(const std::string& s) { return "\"" + s + "\""; }

std::string event_json(const Event& e) {
  return "{\"type\":" + json_string(e.type) + ",\"email\":" + json_string(e.email) +
         ",\"externalId\":" + json_string(e.external_id) + ",\"origin\":" + json_string(e.origin) +
         ",\"wishedChannel\":" + json_string(e.channel) +
         ",\"language\":" + json_string(e.language) + ",\"country\":" + json_string(e.country) +
         ",\"ctx\":" + e.ctx + "}";
}

// COPY text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string* out, const std::string& value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        *out += c;
    }
  }
}

std::string copy_payload(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    const std::string* fields[] = {&e.type,    &e.email,    &e.external_id, &e.origin,
                                   &e.channel, &e.language, &e.country,     &e.ctx};
    bool first = true;
    for (const std::string* f : fields) {
      if (!first) out += '\t';
      first = false;
      append_copy_field(&out, *f);
    }
    out += '\n';
  }
  return out;
}

std::string json_array(const std::vector<Event>& events) {
  std::string out = "[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out += ',';
    out += event_json(events[i]);
  }
  out += ']';
  return out;
}

[[noreturn]] void die(PGconn* conn, const std::string& what) {
  std::fprintf(stderr, "intake_bench: %s: %s", what.c_str(),
               conn ? PQerrorMessage(conn) : "(no connection)\n");
  if (conn) PQfinish(conn);
  std::exit(1);
}

void exec_command(PGconn* conn, const char* sql) {
  PGresult* res = PQexec(conn, sql);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    PQclear(res);
    die(conn, sql);
  }
  PQclear(res);
}

// One COPY of the whole payload; checks the row count the server reports.
void copy_once(PGconn* conn, const std::string& copy_sql, const std::string& payload,
               long expected_rows) {
  PGresult* res = PQexec(conn, copy_sql.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    PQclear(res);
    die(conn, "COPY did not start");
  }
  PQclear(res);
  if (PQputCopyData(conn, payload.data(), static_cast<int>(payload.size())) != 1)
    die(conn, "PQputCopyData");
  if (PQputCopyEnd(conn, nullptr) != 1) die(conn, "PQputCopyEnd");
  bool ok = true;
  while ((res = PQgetResult(conn)) != nullptr) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
      ok = false;
    else if (std::atol(PQcmdTuples(res)) != expected_rows) {
      std::fprintf(stderr, "intake_bench: COPY wrote %s rows, expected %ld\n", PQcmdTuples(res),
                   expected_rows);
      ok = false;
    }
    PQclear(res);
  }
  if (!ok) die(conn, "COPY failed");
}

void push_once(PGconn* conn, const std::string& array, long expected_rows) {
  const char* values[1] = {array.c_str()};
  PGresult* res = PQexecPrepared(conn, "push", 1, values, nullptr, nullptr, 0);
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    PQclear(res);
    die(conn, "mc.push_events failed");
  }
  long rows = std::atol(PQgetvalue(res, 0, 0));
  PQclear(res);
  if (rows != expected_rows) {
    std::fprintf(stderr, "intake_bench: push_events returned %ld ids, expected %ld\n", rows,
                 expected_rows);
    die(conn, "push_events");
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: intake_bench copy_plain|push_events|push_events_json|copy_batch CALLS "
               "EVENTS_PER_CALL "
               "[WARMUP_CALLS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) return usage();
  std::string mode = argv[1];
  long calls = std::atol(argv[2]);
  long per_call = std::atol(argv[3]);
  long warmup = argc == 5 ? std::atol(argv[4]) : 1;
  const bool push = mode == "push_events" || mode == "push_events_json";
  if ((mode != "copy_plain" && !push && mode != "copy_batch") || calls < 1 || per_call < 1 ||
      warmup < 0)
    return usage();

  std::vector<Event> events;
  events.reserve(static_cast<std::size_t>(per_call));
  for (long i = 0; i < per_call; ++i) events.push_back(make_event(static_cast<int>(i)));

  PGconn* conn = PQconnectdb("");
  if (PQstatus(conn) != CONNECTION_OK) die(conn, "connection failed");

  std::string payload, copy_sql;
  if (push) {
    payload = json_array(events);
    PGresult* res =
        PQprepare(conn, "push",
                  mode == "push_events" ? "SELECT count(*) FROM mc.push_events($1::jsonb, 'batch')"
                                        : "SELECT count(*) FROM mc.push_events_json($1, 'batch')",
                  1, nullptr);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      PQclear(res);
      die(conn, "PQprepare");
    }
    PQclear(res);
  } else {
    payload = copy_payload(events);
    copy_sql = std::string("COPY ") +
               (mode == "copy_plain" ? "bench.plain_event" : "mc.batch_event") + " (" + kColumns +
               ") FROM STDIN";
  }
  auto call = [&] {
    if (push)
      push_once(conn, payload, per_call);
    else
      copy_once(conn, copy_sql, payload, per_call);
  };

  if (warmup > 0) {
    exec_command(conn, "BEGIN");
    for (long i = 0; i < warmup; ++i) call();
    exec_command(conn, "ROLLBACK");
  }

  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) call();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  long rows = calls * per_call;
  double seconds = elapsed.count();
  std::printf(
      "mode=%s calls=%ld events_per_call=%ld rows=%ld payload_bytes=%zu seconds=%.3f "
      "rows_per_s=%.0f\n",
      mode.c_str(), calls, per_call, rows, payload.size(), seconds, rows / seconds);
  PQfinish(conn);
  return 0;
}

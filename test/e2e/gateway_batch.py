#!/usr/bin/env python3
"""Group commit of single-event pushes (src/gateway/push_batcher.hpp), made deterministic.

Called by test/e2e/gateway.sh with a gateway started with --push-lanes 1 (one batch in the
database at a time) and a long token cache. Each round: a session holds LOCK TABLE mc.rt_event
IN EXCLUSIVE MODE, a first push takes the only lane and waits on that lock inside the
database, the round's requests are sent concurrently and wait in the gateway's queue (its
mc_gateway_push_queued gauge says when all are there), then the lock is released: the queued
requests leave as batches by role. No timing is asserted; every wait is bounded.

usage: gateway_batch.py BASE_URL DATABASE WRITER_TOKEN READER_TOKEN
(READER_TOKEN: a role without mc_event_writer.) Prints TAP-like lines; exit status 1 on failure.
"""
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

base, db, writer, reader = sys.argv[1:5]
failures = 0


def check(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + "batching: " + what, flush=True)
    if not ok:
        failures += 1


def request(path, data, headers, method="POST"):
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def push_json(token, event, key=None):
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    status, body = request("/api/v1/events/rt", json.dumps(event).encode(), headers)
    return status, json.loads(body)


def push_soap(token, email):
    envelope = (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        '<SOAP-ENV:Body><m:PushEvent xmlns:m="urn:nms:rtEvent"><sessiontoken/><domEvent>'
        f'<rtEvent type="batched" email="{email}"><ctx><a>1</a></ctx></rtEvent>'
        "</domEvent></m:PushEvent></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    status, body = request(
        "/nl/jsp/soaprouter.jsp",
        envelope.encode(),
        {"Content-Type": "text/xml", "SoapAction": "nms:rtEvent#PushEvent", "X-Session-Token": token},
    )
    m = re.search(r'<plId xsi:type="xsd:long">([0-9]+)</plId>', body)
    return status, {"ids": [m.group(1)]} if m else {"body": body}


def sql(query):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def metrics():
    with urllib.request.urlopen(base + "/metrics", timeout=60) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(mc_gateway_push_[a-z_]+) ([0-9.e+]+)$", text, re.M)}


def wait_for(predicate, what):
    for _ in range(600):  # 60 s at most
        if predicate():
            return True
        time.sleep(0.1)
    check(False, "timed out waiting for " + what)
    return False


def run_round(calls, lead=0):
    """Runs the calls (functions returning (status, body)) as one queued round; their results.
    The first `lead` calls are queued before the others are sent (oldest first in the queue)."""
    holder = subprocess.Popen(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    holder.stdin.write("BEGIN; LOCK TABLE mc.rt_event IN EXCLUSIVE MODE; SELECT 'locked';\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "locked"
    results = [None] * (len(calls) + 1)

    def run(i, call):
        results[i] = call()

    first = threading.Thread(target=run, args=(0, lambda: push_json(writer, {
        "type": "batched", "email": "first@example.com", "ctx": {}})))
    first.start()
    # The first push holds the lane, waiting for the lock inside the database.
    wait_for(lambda: sql("SELECT count(*) FROM pg_catalog.pg_stat_activity"
                         " WHERE usename = 'gw_login' AND wait_event_type = 'Lock'") == "1",
             "the first push to wait for the lock")
    threads = [threading.Thread(target=run, args=(i + 1, c)) for i, c in enumerate(calls)]
    for t in threads[:lead]:
        t.start()
    if lead:
        wait_for(lambda: metrics().get("mc_gateway_push_queued") == lead, f"{lead} pushes queued first")
    for t in threads[lead:]:
        t.start()
    wait_for(lambda: metrics().get("mc_gateway_push_queued") == len(calls),
             f"{len(calls)} pushes queued")
    holder.stdin.write("COMMIT;\n")
    holder.stdin.close()
    holder.wait()
    first.join()
    for t in threads:
        t.join()
    check(results[0][0] == 201, f"the push that held the lane succeeded ({results[0]})")
    return results[1:]


def email_of(event_id):
    return sql(f"SELECT email FROM mc.rt_event WHERE id = {int(event_id)}")


# Both tokens' roles remembered (batches are by role; a token not remembered goes alone).
check(push_json(writer, {"type": "warm", "email": "warm@example.com", "ctx": {}})[0] == 201,
      "a first push remembers the writer's role")
check(request("/nl/jsp/mcPing.jsp", None, {"X-Session-Token": reader}, "GET")[0] in (200, 403),
      "mcPing by the reader token remembers its role")

# Round 1: seven good pushes by one role (JSON and SOAP, two with the same Idempotency-Key).
before = metrics()
emails = [f"good{i}@example.com" for i in range(4)]
calls = [lambda e=e: push_json(writer, {"type": "batched", "email": e, "ctx": {"n": 1}}) for e in emails]
calls += [lambda: push_json(writer, {"type": "batched", "email": "key1@example.com", "ctx": {}}, "batch-key"),
          lambda: push_json(writer, {"type": "batched", "email": "key2@example.com", "ctx": {}}, "batch-key"),
          lambda: push_soap(writer, "soap@example.com")]
res = run_round(calls)
after = metrics()
check(all(s in (200, 201) for s, _ in res), f"seven queued good pushes all succeed ({[s for s, _ in res]})")
ids = [b.get("ids", [None])[0] for _, b in res]
check(all(ids) and len(set(ids)) == 6,
      f"each got its own id, the two with one Idempotency-Key the same one ({ids})")
check([email_of(i) for i in ids[:4]] == emails, "each JSON push's id is its own event")
check(email_of(ids[6]) == "soap@example.com", "the SOAP PushEvent's id is its own event")
check(ids[4] == ids[5] and email_of(ids[4]) in ("key1@example.com", "key2@example.com")
      and sql("SELECT count(*) FROM mc.rt_event WHERE idempotency_key = 'batch-key'") == "1",
      "Idempotency-Key inside a batch: one event, both requests get its id")
check(after["mc_gateway_push_batches_total"] - before["mc_gateway_push_batches_total"] == 2
      and after["mc_gateway_push_batched_events_total"] - before["mc_gateway_push_batched_events_total"] == 8,
      "they left as one batch (after the first push's batch of one)")
check(after["mc_gateway_push_batches_retried_total"] == before["mc_gateway_push_batches_retried_total"],
      "and it was not retried")

# Round 2: four good pushes, one refused event, and two by a role without mc_event_writer.
before = metrics()
emails = [f"ok{i}@example.com" for i in range(4)]
calls = [lambda e=e: push_json(writer, {"type": "batched", "email": e, "ctx": {}}) for e in emails]
calls += [lambda: push_json(writer, {"type": "batched", "email": "bad@example.com", "colour": "red", "ctx": {}}),
          lambda: push_json(reader, {"type": "batched", "email": "reader1@example.com", "ctx": {}}),
          lambda: push_json(reader, {"type": "batched", "email": "reader2@example.com", "ctx": {}})]
res = run_round(calls)
after = metrics()
good = res[:4]
check(all(s == 201 for s, _ in good), f"the good pushes of a refused batch succeed ({[s for s, _ in good]})")
check([email_of(b["ids"][0]) for _, b in good] == emails, "each with its own event")
s, b = res[4]
check(s == 422 and b.get("sqlstate") == "42703" and b.get("field") == "colour",
      f"the bad event gets its own refusal: 422, 42703, field colour ({s} {b})")
check(all(s == 403 and b.get("sqlstate") == "42501" for s, b in res[5:]),
      f"a role without mc_event_writer: each of its pushes 403, 42501 from the database ({res[5:]})")
check(sql("SELECT count(*) FROM mc.rt_event WHERE email IN"
          " ('bad@example.com', 'reader1@example.com', 'reader2@example.com')") == "0",
      "nothing of the refused pushes was stored")
check(after["mc_gateway_push_batches_total"] - before["mc_gateway_push_batches_total"] == 3
      and after["mc_gateway_push_batches_retried_total"] - before["mc_gateway_push_batches_retried_total"] == 2,
      "two batches (one per role) were refused and retried one by one")

# Round 3: a push the database refuses, queued first, then good ones of another role: when the
# lock goes, the two batches leave back to back on the one lane (pipelined, each its own
# transaction), and the refusal of the first does not touch the second.
before = metrics()
emails = [f"after{i}@example.com" for i in range(3)]
calls = [lambda: push_json(reader, {"type": "batched", "email": "reader3@example.com", "ctx": {}})]
calls += [lambda e=e: push_json(writer, {"type": "batched", "email": e, "ctx": {}}) for e in emails]
res = run_round(calls, lead=1)
after = metrics()
s, b = res[0]
check(s == 403 and b.get("sqlstate") == "42501", f"the refused push queued first: 403, 42501 ({s} {b})")
check(all(s == 201 for s, _ in res[1:]), f"the batch behind it succeeds ({[s for s, _ in res[1:]]})")
check([email_of(b["ids"][0]) for _, b in res[1:]] == emails, "each with its own event")
check(after["mc_gateway_push_batches_total"] - before["mc_gateway_push_batches_total"] == 3
      and after["mc_gateway_push_batched_events_total"] - before["mc_gateway_push_batched_events_total"] == 5
      and after["mc_gateway_push_batches_retried_total"] == before["mc_gateway_push_batches_retried_total"],
      "two batches after the first push's, none retried")

sys.exit(1 if failures else 0)

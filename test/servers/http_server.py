#!/usr/bin/python3
"""An HTTP server for the delivery integration tests (http.server, ThreadingHTTPServer), on
127.0.0.1 only. Answers by path prefix:
  /ok...   200 {"id":"ok"}
  /429...  429 with Retry-After: 3
  /503...  503 with Retry-After: <HTTP-date 5 s ahead>
  /500...  500
  /400...  400 {"error":"bad request"}
  /slow... sleeps --slow seconds, then 200
Every request is recorded to --dir as <n>.json: method, path, headers, body, and whether its
X-MC-Signature matches HMAC-SHA256(--key, body) (compared with hmac.compare_digest). Keep-alive
(HTTP/1.1) so connection reuse can be observed: stats.json counts connections and requests.
Prints "READY <port>" once listening."""
import argparse
import email.utils
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, directory, key, slow):
        self.directory = directory
        self.key = key.encode()
        self.slow = slow
        self.lock = threading.Lock()
        self.requests = 0
        self.connections = 0

    def stats(self):
        tmp = os.path.join(self.directory, "stats.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"connections": self.connections, "requests": self.requests}, f)
        os.replace(tmp, os.path.join(self.directory, "stats.json"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1
            self.server.state.stats()

    def log_message(self, *args):
        pass

    def handle_any(self):
        st = self.server.state
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        sig = self.headers.get("X-MC-Signature")
        expected = "sha256=" + hmac.new(st.key, body, hashlib.sha256).hexdigest()
        with st.lock:
            st.requests += 1
            n = st.requests
            with open(os.path.join(st.directory, "%d.json" % n), "w") as f:
                json.dump({"method": self.command, "path": self.path,
                           "headers": {k: v for k, v in self.headers.items()},
                           "body": body.decode("utf-8", "replace"),
                           "signature_present": sig is not None,
                           "signature_ok": sig is not None and hmac.compare_digest(sig, expected)}, f)
            st.stats()
        path = self.path
        status, extra, out = 200, {}, b'{"id":"ok"}'
        if path.startswith("/429"):
            status, extra, out = 429, {"Retry-After": "3"}, b'{"error":"slow down"}'
        elif path.startswith("/503"):
            status, extra, out = 503, {"Retry-After": email.utils.formatdate(time.time() + 5, usegmt=True)}, b""
        elif path.startswith("/500"):
            status, out = 500, b'{"error":"internal"}'
        elif path.startswith("/400"):
            status, out = 400, b'{"error":"bad request"}'
        elif path.startswith("/slow"):
            time.sleep(st.slow)
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--key", default="")
    ap.add_argument("--slow", type=float, default=10.0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args.dir, args.key, args.slow)
    server.state.stats()
    print("READY %d" % server.server_address[1], flush=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    import signal
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(args.max_seconds)  # bounded (--max-seconds)
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())

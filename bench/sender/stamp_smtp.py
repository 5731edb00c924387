#!/usr/bin/python3
"""An SMTP sink for the rt latency benchmark (aiosmtpd): accepts everything and appends
"<X-MC-Event-Id> <unix time of the end of DATA>" to --out for every message, the moment it
accepts it. Prints "READY <port>" once listening; stops on SIGTERM."""
import argparse, signal, threading, time
from aiosmtpd.controller import Controller


class Stamp:
    def __init__(self, out):
        self.out = open(out, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        eid = b"?"
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"x-mc-event-id:"):
                eid = line.split(b":", 1)[1].strip()
        self.out.write("%s %.6f\n" % (eid.decode(), now))
        return "250 2.0.0 Ok"


ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--port", type=int, default=2526)
a = ap.parse_args()
c = Controller(Stamp(a.out), hostname="127.0.0.1", port=a.port, decode_data=False)
c.start()
print("READY %d" % a.port, flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait(3600)
c.stop()

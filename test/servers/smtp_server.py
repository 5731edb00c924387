#!/usr/bin/python3
"""A scripted SMTP server for the delivery integration tests (aiosmtpd; run with Debian's
/usr/bin/python3, which has python3-aiosmtpd).

Listens on 127.0.0.1 only. The reply depends on the recipient's local part prefix (or on
--mode for every recipient):
  ok...        250 after DATA
  greylist...  451 4.7.1 on the first RCPT of that address, then 250
  unknown...   550 5.1.1 <addr>: Recipient address rejected: User unknown
  full...      452 4.2.2 mailbox full
  latin1...    550 5.1.1 with a reply text in Latin-1 bytes (not UTF-8), as some servers send
  drop...      the connection is closed after the data arrived, before the final reply
  stallrcpt... the reply to RCPT is delayed by --stall seconds
  stall...     the final reply is delayed by --stall seconds (past the client's timeout)
--pipelining advertises PIPELINING (RFC 2920; aiosmtpd reads pipelined commands in order).
--auth USER:PASS offers AUTH (PLAIN, LOGIN) on the plain connection and refuses other
credentials with 535 5.7.8; --tls offers STARTTLS with a self-signed certificate made at start
(openssl req; its name is localhost and 127.0.0.1, its certificate in --dir/cert.pem), so a
verifying client must refuse it unless told to trust that certificate; --implicit-tls is TLS
from the first byte (smtps), with such a certificate.
Every accepted message is written to --dir as <n>.eml (the bytes received, un-dot-stuffed by
aiosmtpd) with <n>.json beside it (envelope, peer, the AUTH login, whether it came over TLS).
--dir/stats.json counts connections and messages per connection after every change. Prints
"READY <port>" on stdout once listening.
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.connections = 0
        self.messages = 0
        self.per_connection = {}  # "host:port" -> messages
        self.greylisted = set()
        self.logins = {}  # "host:port" -> user name that authenticated

    def write_stats(self):
        tmp = os.path.join(self.directory, "stats.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"connections": self.connections, "messages": self.messages,
                       "per_connection": list(self.per_connection.values())}, f)
        os.replace(tmp, os.path.join(self.directory, "stats.json"))

    def connection(self, peer):
        with self.lock:
            self.connections += 1
            self.per_connection["%s:%s" % peer[:2]] = 0
            self.write_stats()

    def message(self, peer, envelope, tls=False):
        with self.lock:
            self.messages += 1
            n = self.messages
            key = "%s:%s" % peer[:2]
            self.per_connection[key] = self.per_connection.get(key, 0) + 1
            with open(os.path.join(self.directory, "%d.eml" % n), "wb") as f:
                f.write(envelope.original_content or envelope.content)
            with open(os.path.join(self.directory, "%d.json" % n), "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "peer": key, "login": self.logins.get(key), "tls": tls}, f)
            self.write_stats()


class CountingSMTP(SMTP):
    def connection_made(self, transport):
        super().connection_made(transport)
        self.event_handler.recorder.connection(transport.get_extra_info("peername"))


class Handler:
    def __init__(self, recorder, mode, stall, pipelining=False):
        self.recorder = recorder
        self.mode = mode
        self.stall = stall
        self.implicit_tls = False
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    def mode_of(self, address):
        if self.mode:
            return self.mode
        local = address.split("@", 1)[0].lower()
        for prefix in ("greylist", "unknown", "full", "latin1", "drop", "stallrcpt", "stall", "ok"):
            if local.startswith(prefix):
                return prefix
        return "ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = self.mode_of(address)
        if mode == "stallrcpt":
            await asyncio.sleep(self.stall)
        if mode == "unknown":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if mode == "full":
            return "452 4.2.2 <%s>: mailbox full" % address
        if mode == "latin1":
            return b"550 5.1.1 Adresse ung\xfcltig"  # aiosmtpd writes bytes as they are
        if mode == "greylist":
            with self.recorder.lock:
                first = address not in self.recorder.greylisted
                self.recorder.greylisted.add(address)
            if first:
                return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        modes = {self.mode_of(a) for a in envelope.rcpt_tos}
        if "drop" in modes:
            server.transport.abort()
            return "421 4.4.2 closing"  # never reaches the client
        if "stall" in modes:
            await asyncio.sleep(self.stall)
        self.recorder.message(session.peer, envelope,
                              tls=self.implicit_tls or session.ssl is not None)
        return "250 2.0.0 Ok: queued as Q%d" % self.recorder.messages


class Authenticator:
    def __init__(self, recorder, user, password):
        self.recorder, self.user, self.password = recorder, user, password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        if ok:
            with self.recorder.lock:
                self.recorder.logins["%s:%s" % session.peer[:2]] = self.user
        return AuthResult(success=ok, handled=False)


def self_signed_context(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", default="")
    ap.add_argument("--stall", type=float, default=10.0)
    ap.add_argument("--auth", default="")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--pipelining", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=600.0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    recorder = Recorder(args.dir)
    recorder.write_stats()
    handler = Handler(recorder, args.mode, args.stall, args.pipelining)
    handler.recorder = recorder
    port = args.port or free_port()
    extra = {}
    if args.auth:
        user, password = args.auth.split(":", 1)
        extra.update(authenticator=Authenticator(recorder, user, password),
                     auth_require_tls=False)
    if args.tls:
        extra.update(tls_context=self_signed_context(args.dir))
    # smtps: TLS from the first byte (the Controller wraps every accepted connection).
    handler.implicit_tls = args.implicit_tls
    if args.implicit_tls:
        extra.update(ssl_context=self_signed_context(args.dir))
    controller = CountingController(handler, hostname="127.0.0.1", port=port,
                                    decode_data=False, enable_SMTPUTF8=True, **extra)
    controller.handler.recorder = recorder
    controller.start()
    # start() made one connection of its own to check the server is up: not the client's.
    with recorder.lock:
        recorder.connections = 0
        recorder.per_connection = {}
        recorder.write_stats()
    print("READY %d" % port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    # Bounded: a test that forgets to stop us does not leave a server forever (--max-seconds,
    # 600 by default; a long run such as 20 kill cycles asks for more).
    done.wait(args.max_seconds)
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())

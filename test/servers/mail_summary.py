#!/usr/bin/python3
"""Prints a JSON summary of a received .eml parsed with Python's email package (policy=default):
decoded headers, MIME structure, decoded text of each part, line checks. The integration tests
assert on it, so the checks are made by an independent MIME implementation."""
import email
import json
import sys
from email import policy


def main(path):
    raw = open(path, "rb").read()
    msg = email.message_from_bytes(raw, policy=policy.default)
    lines = raw.split(b"\r\n")
    summary = {
        "defects": [str(d) for d in msg.defects],
        "headers": {k: str(v) for k, v in msg.items()},
        "header_count": {k.lower(): len(msg.get_all(k)) for k in msg.keys()},
        "raw_header_lines": [l.decode("ascii", "replace") for l in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")],
        "content_type": msg.get_content_type(),
        "parts": [],
        "bare_lf": raw.replace(b"\r\n", b"").count(b"\n"),
        "bare_cr": raw.replace(b"\r\n", b"").count(b"\r"),
        "max_line": max(len(l) for l in lines),
        "eight_bit": any(b > 127 for b in raw),
    }
    for part in msg.walk():
        if part.is_multipart():
            continue
        summary["parts"].append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "cte": part.get("Content-Transfer-Encoding", ""),
            "text": part.get_content(),
            "defects": [str(d) for d in part.defects],
        })
    json.dump(summary, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])

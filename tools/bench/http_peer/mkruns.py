# SPDX-License-Identifier: GPL-2.0
"""Create runs for the http benchmark over one keep-alive connection.

usage: /usr/bin/python3 mkruns.py BASE-URL COUNT [--token T] [--body JSON]
       /usr/bin/python3 mkruns.py BASE-URL --seqs RUNS-FILE [--token T]

POSTs BODY (default {}) COUNT times to BASE-URL/v1/runs and prints one
line "RUN-ID WS-SEQ" per run (WS-SEQ: the reply's "ws_seq", else 0), the
format tools/bench/http_ws.lua reads.  With --seqs, GETs the working set
of every run in RUNS-FILE instead and prints the lines with the current
seqs.  Fails on the first unexpected reply, with its status and body.
"""

import argparse
import http.client
import json
import sys
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("count", type=int, nargs="?")
    ap.add_argument("--seqs", metavar="RUNS-FILE")
    ap.add_argument("--token")
    ap.add_argument("--body", default="{}")
    a = ap.parse_args()
    if (a.count is None) == (a.seqs is None):
        ap.error("give COUNT or --seqs RUNS-FILE")
    u = urllib.parse.urlsplit(a.url)
    if u.scheme != "http" or not u.hostname:
        ap.error(f"need an http://HOST:PORT URL, not {a.url!r}")
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    headers = {"Content-Type": "application/json"}
    if a.token:
        headers["Authorization"] = "Bearer " + a.token
    out = []
    if a.seqs:
        for line in open(a.seqs):
            rid = line.split()[0]
            conn.request("GET", f"{u.path.rstrip('/')}/v1/runs/{rid}/ws",
                         headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                print(f"mkruns: GET /v1/runs/{rid}/ws: {r.status} {body[:300]!r}",
                      file=sys.stderr)
                return 1
            out.append(f'{rid} {json.loads(body)["seq"]}')
        print("\n".join(out))
        return 0
    for _ in range(a.count):
        conn.request("POST", u.path.rstrip("/") + "/v1/runs", body=a.body,
                     headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 201:
            print(f"mkruns: POST /v1/runs: {r.status} {body[:300]!r}",
                  file=sys.stderr)
            return 1
        d = json.loads(body)
        out.append(f'{d["run"]} {d.get("ws_seq", 0)}')
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

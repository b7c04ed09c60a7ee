# SPDX-License-Identifier: GPL-2.0
"""Check that the FastAPI peer validates what aios validates.

Sends a set of working-set documents, valid and invalid, to a running
aiosd (workset.put on its socket) and to the peer's validator
(workset_schema: jsonschema + check_extra), and fails when the two
disagree on any of them.  tools/bench/http.sh runs it before measuring,
so the benchmark never compares servers that do different work.

usage: /usr/bin/python3 schema_check.py AIOSD_SOCKET
"""

import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workset_schema  # noqa: E402


class Aiosd:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("aiosd closed the connection")
            buf += chunk
        return buf

    def call(self, **req):
        req["v"] = 1
        data = json.dumps(req).encode()
        self.s.sendall(struct.pack(">I", len(data)) + data)
        (n,) = struct.unpack(">I", self._read(4))
        return json.loads(self._read(n))


def base(**kw):
    d = {"goal": "g", "status": "active", "step": 1}
    d.update(kw)
    return d


def nest(n):
    v = 1
    for _ in range(n):
        v = {"a": v}
    return v


def ctx(items, max_items=8, max_bytes=1000):
    return {"max_items": max_items, "max_bytes": max_bytes, "items": items}


def item(i, **kw):
    d = {"id": i, "role": "user", "text": "t"}
    d.update(kw)
    return d


CASES = [
    ("minimal", base()),
    ("all fields", base(vars={"a": [1, {"b": None}], "s": "x"}, notes=["n"],
                        context=ctx([item("a", pinned=True, priority=9),
                                     item("b", role="observation")]))),
    ("missing goal", {"status": "active", "step": 0}),
    ("unknown field", base(extra=1)),
    ("bad status", base(status="boss")),
    ("negative step", base(step=-1)),
    ("real step", base(step=1.0)),
    ("boolean step", base(step=True)),
    ("string goal number", base(goal=5)),
    ("goal 4096 bytes", base(goal="x" * 4096)),
    ("goal 4097 bytes", base(goal="x" * 4097)),
    ("goal 4096 chars, 8192 bytes", base(goal="\u00e9" * 4096)),
    ("vars depth 16", base(vars=nest(15))),
    ("vars depth 17", base(vars=nest(16))),
    ("256 vars", base(vars={f"k{i}": i for i in range(256)})),
    ("257 vars", base(vars={f"k{i}": i for i in range(257)})),
    ("vars not object", base(vars=[1])),
    ("256 notes", base(notes=["n"] * 256)),
    ("257 notes", base(notes=["n"] * 257)),
    ("note not string", base(notes=[1])),
    ("context without items", base(context={"max_items": 1, "max_bytes": 1})),
    ("context unknown field", base(context=dict(ctx([]), x=1))),
    ("max_items 0", base(context=ctx([], max_items=0))),
    ("max_items 4097", base(context=ctx([], max_items=4097))),
    ("max_bytes 1048577", base(context=ctx([], max_bytes=1048577))),
    ("item bad role", base(context=ctx([item("a", role="boss")]))),
    ("item bad id", base(context=ctx([item("-a")]))),
    ("item id 65 chars", base(context=ctx([item("a" * 65)]))),
    ("item priority 10", base(context=ctx([item("a", priority=10)]))),
    ("item pinned string", base(context=ctx([item("a", pinned="yes")]))),
    ("item unknown field", base(context=ctx([item("a", x=1)]))),
    ("item missing text", base(context=ctx([{"id": "a", "role": "user"}]))),
    ("duplicate item ids", base(context=ctx([item("a"), item("a")]))),
    ("items over max_items", base(context=ctx([item("a"), item("b")], max_items=1))),
    ("text over max_bytes", base(context=ctx([item("a", text="x" * 11)], max_bytes=10))),
    ("document over 1 MiB", base(vars={f"k{i}": "x" * 5000 for i in range(220)})),
]


def peer_verdict(v, doc):
    err = next(iter(v.iter_errors(doc)), None)
    if err is not None:
        return False, workset_schema.json_path(err.absolute_path) + ": " + err.message
    extra = workset_schema.check_extra(doc)
    if extra is not None:
        return False, f"{extra[1]}: {extra[2]} ({extra[0]})"
    return True, "ok"


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    a = Aiosd(sys.argv[1])
    v = workset_schema.validator()
    r = a.call(op="run.create", fsync="none")
    if not r.get("ok"):
        print(f"schema_check: run.create: {r}", file=sys.stderr)
        return 1
    run = r["run"]
    seq = a.call(op="workset.get", run=run)["seq"]
    bad = 0
    for name, doc in CASES:
        r = a.call(op="workset.put", run=run, expected_seq=seq, doc=doc)
        aios_ok = bool(r.get("ok"))
        if aios_ok:
            seq = r["seq"]
        aios_why = "ok" if aios_ok else r["error"]["message"]
        peer_ok, peer_why = peer_verdict(v, doc)
        if aios_ok != peer_ok:
            bad += 1
            print(f"schema_check: {name}: aios {'accepts' if aios_ok else 'rejects'}"
                  f" ({aios_why[:120]}), peer {'accepts' if peer_ok else 'rejects'}"
                  f" ({peer_why[:120]})", file=sys.stderr)
    print(f"schema_check: {len(CASES) - bad}/{len(CASES)} documents judged alike by aios and the peer")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0
"""FastAPI peer of the aios "http" benchmark (tools/bench/http.sh).

The working-set endpoints the way the reference system serves them: a
FastAPI app under uvicorn, one process, the working set of every run in
memory, the request body parsed by a pydantic model, the document
validated with jsonschema against the aios working-set schema
(workset_schema.py), optimistic locking on expected_seq (409 with the
current seq when stale), and every accepted patch appended to the run's
JSONL ledger, flushed to the kernel but not fsynced.

    POST /v1/runs                  {"run"?: id} -> 201 {"run": id}
    GET  /v1/runs/{id}/ws          -> {"seq", "doc"}
    POST /v1/runs/{id}/ws          {"expected_seq", "doc"} -> {"seq"}

(the replies of aios-httpd's two endpoints, byte for byte in shape).

Errors are RFC 9457 problem documents (application/problem+json); a
schema violation is 422 with the JSON path of the offending value.

Run: /usr/bin/python3 app.py --state DIR (--port N | --uds PATH)
(Debian's python3 with python3-fastapi, python3-uvicorn,
python3-jsonschema).  It binds 127.0.0.1 only.
"""

import argparse
import json
import os
import re
import secrets
import sys
import time
from typing import Any, Dict, Optional

import uvicorn
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Extra, conint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workset_schema  # noqa: E402

ID_RE = re.compile(workset_schema.ID_PATTERN)
VALIDATOR = workset_schema.validator()


def problem(status, title, detail, **extra):
    body = {"type": "about:blank", "status": status, "title": title,
            "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status,
                        media_type="application/problem+json")


class Run:
    def __init__(self, rid, root):
        self.id = rid
        self.seq = 0
        self.doc = {"goal": "", "status": "active", "step": 0}
        d = os.path.join(root, rid)
        os.mkdir(d, 0o700)
        # one JSONL record per change; flushed (write(2)) per record,
        # never fsynced: the durability of aios's runs.fsync "none"
        self.ledger = open(os.path.join(d, "ledger.jsonl"), "a",
                           encoding="utf-8")
        self.ledger_seq = 0

    def append(self, rtype, payload):
        self.ledger_seq += 1
        rec = {"seq": self.ledger_seq, "ts_ns": time.time_ns(),
               "type": rtype, "payload": payload}
        self.ledger.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self.ledger.flush()


class CreateRun(BaseModel):
    run: Optional[str] = None

    class Config:
        extra = Extra.forbid


class WsPatch(BaseModel):
    expected_seq: conint(ge=0)
    doc: Dict[str, Any]

    class Config:
        extra = Extra.forbid


def make_app(state_dir):
    runs_dir = os.path.join(state_dir, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    runs: Dict[str, Run] = {}
    app = FastAPI(title="aios http benchmark peer", openapi_url=None,
                  docs_url=None, redoc_url=None)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_req, exc):
        errs = exc.errors()
        first = errs[0] if errs else {"loc": (), "msg": "invalid request"}
        path = workset_schema.json_path(
            [p for p in first["loc"] if p != "body"])
        return problem(422, "Invalid request body",
                       f"{path}: {first['msg']}", path=path)

    @app.post("/v1/runs", status_code=201)
    async def create_run(body: Optional[CreateRun] = None):
        rid = body.run if body and body.run else "r-" + secrets.token_hex(8)
        if not ID_RE.match(rid):
            return problem(422, "Invalid run id",
                           "$.run: must be 1..64 characters of "
                           "[A-Za-z0-9_-]", path="$.run")
        if rid in runs:
            return problem(409, "Run exists", f"run {rid} already exists")
        runs[rid] = Run(rid, runs_dir)
        return {"run": rid}

    @app.get("/v1/runs/{rid}/ws")
    async def get_ws(rid: str):
        r = runs.get(rid)
        if r is None:
            return problem(404, "No such run", f"run {rid} does not exist")
        return {"seq": r.seq, "doc": r.doc}

    @app.post("/v1/runs/{rid}/ws")
    async def patch_ws(rid: str, body: WsPatch):
        r = runs.get(rid)
        if r is None:
            return problem(404, "No such run", f"run {rid} does not exist")
        err = next(iter(VALIDATOR.iter_errors(body.doc)), None)
        if err is not None:
            path = workset_schema.json_path(err.absolute_path)
            return problem(422, "Working set violates the schema",
                           f"{path}: {err.message}", path=path)
        extra = workset_schema.check_extra(body.doc)
        if extra is not None:
            status, path, msg = extra
            return problem(status, "Working set violates the schema",
                           f"{path}: {msg}", path=path)
        # no await between the check and the update: one event loop, so
        # of several clients racing on the same seq exactly one wins
        if body.expected_seq != r.seq:
            return problem(409, "Stale working set",
                           f"expected_seq {body.expected_seq} is not the "
                           f"current seq {r.seq}; re-read and retry",
                           current_seq=r.seq)
        r.seq += 1
        r.doc = body.doc
        r.append("workset", {"seq": r.seq, "doc": body.doc})
        return {"seq": r.seq}

    return app


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--state", required=True, help="state directory")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--port", type=int, help="TCP port on 127.0.0.1")
    g.add_argument("--uds", help="Unix socket path")
    args = ap.parse_args()
    app = make_app(args.state)
    kw = {"uds": args.uds} if args.uds else {"host": "127.0.0.1",
                                             "port": args.port}
    uvicorn.run(app, log_level="warning", access_log=False, workers=1,
                **kw)


if __name__ == "__main__":
    main()

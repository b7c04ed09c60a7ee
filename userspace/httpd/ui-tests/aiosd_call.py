#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""aiosd_call.py SOCKET 'JSON-REQUEST' - one request to aiosd, print the reply.

Used by the browser tests to mint their bearer token ("token.add", admin
only: run as root).  Framing: a big-endian u32 length, then the JSON
(Documentation/aiosd-protocol.md).  Exit 1 when aiosd answers ok=false.
"""
import json
import socket
import struct
import sys


def call(path, req):
    req = dict(req)
    req.setdefault("v", 1)
    data = json.dumps(req).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(struct.pack(">I", len(data)) + data)
        head = b""
        while len(head) < 4:
            chunk = s.recv(4 - len(head))
            if not chunk:
                raise SystemExit("aiosd_call: aiosd closed the connection")
            head += chunk
        (n,) = struct.unpack(">I", head)
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            if not chunk:
                raise SystemExit("aiosd_call: short reply from aiosd")
            body += chunk
    return json.loads(body)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    reply = call(argv[1], json.loads(argv[2]))
    print(json.dumps(reply))
    return 0 if reply.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

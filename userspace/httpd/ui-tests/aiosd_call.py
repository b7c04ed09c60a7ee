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


class Conn:
    """One aiosd connection; call() sends a request (with file descriptors
    attached when given, e.g. an agent's /dev/aios fd for "auth") and
    returns the reply."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)

    def close(self):
        self.sock.close()

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise SystemExit("aiosd_call: aiosd closed the connection")
            buf += chunk
        return buf

    def call(self, req, fds=()):
        req = dict(req)
        req.setdefault("v", 1)
        data = json.dumps(req).encode()
        frame = struct.pack(">I", len(data)) + data
        if fds:
            socket.send_fds(self.sock, [frame], list(fds))
        else:
            self.sock.sendall(frame)
        (n,) = struct.unpack(">I", self._recv(4))
        return json.loads(self._recv(n))


def call(path, req):
    c = Conn(path)
    try:
        return c.call(req)
    finally:
        c.close()


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    reply = call(argv[1], json.loads(argv[2]))
    print(json.dumps(reply))
    return 0 if reply.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

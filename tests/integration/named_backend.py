#!/usr/bin/env python3
"""A small HTTP/1.1 keepalive backend that says who it is, for the failover tests.

    python3 named_backend.py PORT NAME

Every response carries `X-Backend: NAME` and a JSON body: GET and HEAD answer with the
request's path and the Host, X-Ringway-Hop and X-Forwarded-For fields it received; POST
reads the body (Content-Length or chunked) and answers with its length and sha256.

SIGTERM stops it the way a service update stops a backend: the listening socket closes
at once (new connections are refused), requests in progress are answered (with
`Connection: close`), idle keepalive connections are closed, then it exits 0.
"""

import hashlib
import http.server
import json
import signal
import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
NAME = sys.argv[2]
DRAIN_SECONDS = 5.0  # at most this long for requests in progress at SIGTERM


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address):
        super().__init__(address, Handler)
        self.lock = threading.Lock()
        self.connections = set()
        self.busy = 0
        self.stopping = False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections.add(self.connection)

    def finish(self):
        with self.server.lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def answer(self, fields, head_only=False):
        body = (json.dumps(dict(fields, backend=NAME)) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", NAME)
        if self.server.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def handle_request(self, method):
        with self.server.lock:
            self.server.busy += 1
        try:
            fields = {"method": method, "path": self.path, "host": self.headers.get("Host"),
                      "hop": self.headers.get("X-Ringway-Hop"),
                      "xff": self.headers.get("X-Forwarded-For")}
            if method == "POST":
                body = self.read_body()
                fields.update(length=len(body), sha256=hashlib.sha256(body).hexdigest())
            self.answer(fields, head_only=method == "HEAD")
        finally:
            with self.server.lock:
                self.server.busy -= 1

    def do_GET(self):  # noqa: N802 (http.server's names)
        self.handle_request("GET")

    def do_HEAD(self):  # noqa: N802
        self.handle_request("HEAD")

    def do_POST(self):  # noqa: N802
        self.handle_request("POST")


def stop_gracefully(server):
    server.stopping = True
    server.shutdown()      # serve_forever returns: nothing new is accepted
    server.server_close()  # the listening socket closes: new connections are refused
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        with server.lock:
            if server.busy == 0:
                break
        time.sleep(0.01)
    with server.lock:
        for connection in list(server.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)  # idle keepalive: the peer sees EOF
            except OSError:
                pass


def main():
    server = Server(("127.0.0.1", PORT))
    stopper = []

    def on_term(signum, frame):
        if not stopper:
            stopper.append(threading.Thread(target=stop_gracefully, args=(server,)))
            stopper[0].start()

    signal.signal(signal.SIGTERM, on_term)
    server.serve_forever(poll_interval=0.05)
    if stopper:
        stopper[0].join(DRAIN_SECONDS + 5)
    sys.exit(0)


if __name__ == "__main__":
    main()

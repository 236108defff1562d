"""Serves a directory over HTTP/1.1 keepalive, like `caddy file-server --root DIR
--listen HOST:PORT`; SIGTERM finishes the request in progress, then exits 0."""

import argparse
import functools
import http.server
import signal
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True)
parser.add_argument("--listen", default=":80")
args = parser.parse_args()
host, _, port = args.listen.rpartition(":")


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass


handler = functools.partial(Handler, directory=args.root)
server = http.server.ThreadingHTTPServer((host or "0.0.0.0", int(port)), handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print(f"serving {args.root} on {args.listen}", flush=True)
server.serve_forever()
sys.exit(0)

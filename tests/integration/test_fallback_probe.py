"""Failover to a site's fallback when the local upstream drops connection attempts (a
service address with nothing behind it): the first request pays the connect timeout, then
requests go straight to the fallback while one a second probes the local upstream, and
once the local upstream answers again requests go back to it."""

import http.server
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import free_port  # noqa: E402
from test_proxy import Nginx, ProxyCase, marker  # noqa: E402

CONNECT_TIMEOUT_S = 1.0


class SynDropper:
    """A listening socket that never accepts, its backlog filled: the kernel drops further
    SYNs, so a connect to it hangs until the client gives up."""

    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(0)
        self.fillers = []
        for _ in range(2):  # backlog 0 holds one; the second waits in SYN-SENT for good
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(c)
        time.sleep(0.2)

    def close(self):
        for c in self.fillers:
            c.close()
        self.sock.close()


class LocalHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        body = b"local\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FallbackProbe(ProxyCase):
    TIMEOUTS = {"upstream_connect": f"{int(CONNECT_TIMEOUT_S * 1000)}ms"}

    @classmethod
    def backends(cls):
        cls.nginx = Nginx(cls.tmp)  # the fallback (the sibling host, here plain HTTP)
        cls.nginx.start()
        cls.addClassCleanup(cls.nginx.stop)
        cls.dropper = SynDropper()
        cls.addClassCleanup(cls.dropper.close)

    @classmethod
    def sites(cls):
        return {"f.test": dict(upstream=f"http://127.0.0.1:{cls.dropper.port}",
                               fallback=f"http://127.0.0.1:{cls.nginx.port}")}

    def timed_get(self, target):
        start = time.monotonic()
        r = self.get("f.test", target)
        return r, time.monotonic() - start

    def test_dropped_connects_cost_one_timeout_then_requests_go_straight_to_the_fallback(self):
        mk = marker()
        r, first = self.timed_get(f"/1k?{mk}=0")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(first, CONNECT_TIMEOUT_S * 0.9, "the first request did not wait")
        quick = []
        for i in range(1, 11):
            r, elapsed = self.timed_get(f"/1k?{mk}={i}")
            self.assertEqual(r.status, 200, r)
            quick.append(elapsed)
        # Ten requests within the probe interval: none waits for a connect timeout.
        self.assertLess(max(quick), CONNECT_TIMEOUT_S * 0.5, quick)
        self.assertEqual(len(self.nginx.log_lines(mk, 11)), 11)
        self.assertIn("cannot be reached: requests go to", self.rw.stderr_text())

        # The local upstream comes back on its address: a probe finds it within a second or
        # so, and from then on requests are served locally again.
        self.dropper.close()
        local = http.server.ThreadingHTTPServer(("127.0.0.1", self.dropper.port), LocalHandler)
        thread = threading.Thread(target=local.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(local.server_close)
        self.addCleanup(local.shutdown)
        deadline = time.monotonic() + 1 + 2 * CONNECT_TIMEOUT_S + 1
        served_locally = False
        while time.monotonic() < deadline and not served_locally:
            r = self.get("f.test", "/1k")
            self.assertEqual(r.status, 200, r)
            served_locally = r.body == b"local\n"
            time.sleep(0.05)
        self.assertTrue(served_locally, "the local upstream was not tried again")
        bodies = [self.get("f.test", "/1k").body for _ in range(5)]
        self.assertEqual(bodies, [b"local\n"] * 5)
        self.assertIn("answers again", self.rw.stderr_text())


if __name__ == "__main__":
    unittest.main()

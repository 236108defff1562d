#!/usr/bin/env python3
"""Head and keepalive timeouts, the per-worker connection limit, configured head limits."""

import os
import re
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import RingwayCase, request  # noqa: E402


def assert_closed_in_window(tc, c, lo, hi, what, allow_408=True):
    """Waits (bounded by hi + 1) for the server to close c; checks lo <= elapsed <= hi
    (elapsed counted from c.t0) and that nothing but an optional 408 came before."""
    closed, extra, _ = c.wait_closed(hi + 1.0 - (time.monotonic() - c.t0))
    elapsed = time.monotonic() - c.t0
    tc.assertTrue(closed, f"{what}: still open after {elapsed:.2f} s (expected close within {hi} s)")
    tc.assertGreaterEqual(elapsed, lo, f"{what}: closed too early, after {elapsed:.2f} s")
    tc.assertLessEqual(elapsed, hi, f"{what}: closed after {elapsed:.2f} s (expected <= {hi} s)")
    if extra:
        tc.assertTrue(allow_408 and re.match(rb"HTTP/1\.[01] 408 ", extra),
                      f"{what}: unexpected bytes before close: {extra[:300]!r}")
    return elapsed


class HeadTimeout(RingwayCase):
    CONFIG = dict(request_head="1s", keepalive="10s")

    def open(self):
        c = self.conn()
        c.t0 = time.monotonic()
        return c

    def test_partial_head_then_nothing(self):
        c = self.open()
        c.send(b"GET / HTTP/1.1\r\nHost: example.com\r\n")
        assert_closed_in_window(self, c, 0.7, 3.0, "partial head")

    def test_partial_request_line(self):
        c = self.open()
        c.send(b"GE")
        assert_closed_in_window(self, c, 0.7, 3.0, "partial request line")

    def test_slowloris_dribble(self):
        # The head deadline is for the whole head: a byte every 200 ms must not extend it.
        c = self.open()
        payload = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Slow: " + b"a" * 100
        sent = 0
        while time.monotonic() - c.t0 < 4.5 and sent < len(payload):
            if not c.try_send(payload[sent:sent + 1]):
                break
            sent += 1
            if c.peek_available(0.2):
                break
        assert_closed_in_window(self, c, 0.7, 3.0, "dribbled head")

    def test_partial_head_after_keepalive_exchange(self):
        # The head deadline starts again for the second request on a connection.
        c = self.conn()
        c.send(request("GET", "/first", host="example.com"))
        self.assertEqual(c.read_response().status, 301)
        c.t0 = time.monotonic()
        c.send(b"GET /second HTTP/1.1\r\nHost: exam")
        assert_closed_in_window(self, c, 0.7, 3.0, "partial second head")

    def test_idle_keepalive_not_cut_by_head_timeout(self):
        # After a complete exchange the connection is idle: `keepalive` (10 s) applies,
        # not `request_head` (1 s).
        c = self.conn()
        c.send(request("GET", "/a", host="example.com"))
        self.assertEqual(c.read_response().status, 301)
        self.assertFalse(c.peek_available(2.0), "idle keepalive connection closed after ~1 s")
        c.send(request("GET", "/b", host="example.com"))
        self.assertEqual(c.read_response().get("location"), "https://example.com/b")

    def test_complete_requests_unaffected(self):
        c = self.conn()
        for i in range(3):
            c.send(request("GET", f"/ok{i}", host="example.com"))
            self.assertEqual(c.read_response().status, 301)
            time.sleep(0.4)  # 3 x 0.4 s > request_head: each head gets its own deadline


class KeepaliveTimeout(RingwayCase):
    CONFIG = dict(request_head="10s", keepalive="1s")

    def test_idle_keepalive_closed(self):
        c = self.conn()
        c.send(request("GET", "/a", host="example.com"))
        self.assertEqual(c.read_response().status, 301)
        c.t0 = time.monotonic()
        assert_closed_in_window(self, c, 0.7, 3.0, "idle keepalive", allow_408=False)

    def test_idle_after_several_requests(self):
        c = self.conn()
        for i in range(3):
            c.send(request("GET", f"/a{i}", host="example.com"))
            self.assertEqual(c.read_response().status, 301)
        c.t0 = time.monotonic()
        assert_closed_in_window(self, c, 0.7, 3.0, "idle keepalive", allow_408=False)


class BothTimeouts(RingwayCase):
    CONFIG = dict(request_head="1s", keepalive="1s")

    def test_connect_and_send_nothing(self):
        c = self.conn()
        c.t0 = time.monotonic()
        assert_closed_in_window(self, c, 0.7, 3.0, "silent connection")


class ConnectionLimit(RingwayCase):
    CONFIG = dict(workers=1, connections_per_worker=4, keepalive="30s", request_head="30s")

    def serve_one(self, c, path):
        c.send(request("GET", path, host="example.com"))
        resp = c.read_response(timeout=3)
        self.assertEqual(resp.get("location"), f"https://example.com{path}")

    def open_working(self):
        """A connection that got a response; retried (bounded) because a readiness probe
        or a just-closed connection may still hold a slot for a moment."""
        deadline = time.monotonic() + 3
        while True:
            c = self.inst.connect()
            try:
                c.send(request("GET", "/hello", host="example.com"))
                if c.read_response(timeout=2).status == 301:
                    self.addCleanup(c.close)
                    return c
            except (AssertionError, OSError):
                pass
            c.close()
            if time.monotonic() > deadline:
                self.fail(f"could not get a working connection within 3 s {self.diag()}")
            time.sleep(0.05)

    def assert_refused(self, c):
        """Closed or reset without any response bytes, quickly."""
        c.try_send(request("GET", "/fifth", host="example.com"))
        closed, extra, elapsed = c.wait_closed(2.0)
        self.assertTrue(closed, "the connection over the limit was neither closed nor reset "
                                "within 2 s (left hanging?)")
        self.assertEqual(extra, b"", f"the connection over the limit got a response: {extra!r}")

    def test_fifth_refused_first_four_keep_working(self):
        conns = [self.open_working() for _ in range(4)]
        fifth = self.inst.connect()
        self.addCleanup(fifth.close)
        self.assert_refused(fifth)
        for i, c in enumerate(conns):
            self.serve_one(c, f"/again{i}")
        # Freeing one slot lets a new connection in (bounded retry in open_working).
        conns[0].close()
        extra = self.open_working()
        self.serve_one(extra, "/after-free")
        for i, c in enumerate(conns[1:]):
            self.serve_one(c, f"/still{i}")
        sixth = self.inst.connect()
        self.addCleanup(sixth.close)
        self.assert_refused(sixth)
        for c in conns[1:]:
            c.close()

    def test_many_over_limit_then_recovery(self):
        conns = [self.open_working() for _ in range(4)]
        over = []
        for _ in range(20):
            try:
                over.append(self.inst.connect(timeout=2))
            except OSError:
                pass
        for c in over:
            self.addCleanup(c.close)
            self.assert_refused(c)
        for i, c in enumerate(conns):
            self.serve_one(c, f"/x{i}")
            c.close()
        # All four freed: four new connections work again.
        fresh = [self.open_working() for _ in range(4)]
        for i, c in enumerate(fresh):
            self.serve_one(c, f"/y{i}")
            c.close()


class ConfiguredHeadLimits(RingwayCase):
    CONFIG = dict(request_head_bytes=1024, header_count=8)

    def expect(self, raw, status):
        c = self.conn()
        c.try_send(raw)
        resp = c.read_response()
        self.assertEqual(resp.status, status, f"sent {len(raw)} bytes: {resp!r}")
        if status >= 400:
            self.assertIn("close", resp.connection_tokens())
            closed, _, _ = c.wait_closed(3)
            self.assertTrue(closed)

    def test_head_bytes(self):
        self.expect(request("GET", "/", headers=[("X-Pad", "a" * 700)]), 301)
        self.expect(request("GET", "/", headers=[("X-Pad", "a" * 1500)]), 431)
        self.expect(request("GET", "/", headers=[("X-Pad", "a" * 20000)]), 431)

    def test_header_count(self):
        self.expect(request("GET", "/", headers=[(f"X-{i}", "v") for i in range(4)]), 301)
        self.expect(request("GET", "/", headers=[(f"X-{i}", "v") for i in range(20)]), 431)


class SocketOptionsSanity(RingwayCase):
    """A client that resets its connection mid-request does not disturb the server."""
    CONFIG = dict()

    def test_client_reset_mid_head(self):
        for _ in range(20):
            c = self.inst.connect()
            c.send(b"GET / HTTP/1.1\r\nHo")
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()  # RST
        resp = self.roundtrip(request("GET", "/after-resets", host="example.com"))
        self.assertEqual(resp.status, 301)

    def test_client_reset_while_response_pending(self):
        for _ in range(20):
            c = self.inst.connect()
            c.send(b"".join(request("GET", f"/r{i}", host="example.com") for i in range(50)))
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        resp = self.roundtrip(request("GET", "/after-resets", host="example.com"))
        self.assertEqual(resp.status, 301)

    def test_client_reset_after_first_bytes(self):
        # The client resets while ringway is still writing pipelined responses: the failed
        # sends (EPIPE/ECONNRESET) must not kill the process (SIGPIPE) or the worker.
        burst = b"".join(request("GET", f"/q{i}" + "x" * 100, host="example.com")
                         for i in range(60))
        for _ in range(100):
            c = self.inst.connect(rcvbuf=4096)
            c.send(burst)
            c.peek_available(2)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        self.assertTrue(self.inst.rw.alive(), self.diag())
        resp = self.roundtrip(request("GET", "/after-resets", host="example.com"))
        self.assertEqual(resp.status, 301)


if __name__ == "__main__":
    unittest.main(verbosity=2)

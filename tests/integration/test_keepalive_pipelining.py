#!/usr/bin/env python3
"""Keepalive (HTTP/1.1 default, Connection: close, HTTP/1.0) and pipelining."""

import os
import re
import select
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import RingwayCase, curl, request  # noqa: E402

PREFIX = "/.well-known/acme-challenge/"


class KeepalivePipelining(RingwayCase):
    CONFIG = dict(ipv6=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inst.put_token("tokA", b"content-A")
        cls.inst.put_token("tokB", b"content-B-longer")

    def assert_open(self, c):
        """The connection is still usable: a further request gets its response."""
        c.send(request("GET", "/still-open", host="example.com"))
        resp = c.read_response()
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertEqual(resp.get("location"), "https://example.com/still-open")

    def test_http11_default_keepalive(self):
        c = self.conn()
        for i in range(5):
            c.send(request("GET", f"/k{i}", host="example.com"))
            resp = c.read_response()
            self.assertEqual(resp.status, 301, repr(resp))
            self.assertEqual(resp.get("location"), f"https://example.com/k{i}")
            self.assertNotIn("close", resp.connection_tokens(), repr(resp))

    def test_connection_close(self):
        for value in ("close", "Close", "CLOSE", "keep-alive, close", "foo,close"):
            with self.subTest(value=value):
                c = self.conn()
                c.send(request("GET", "/c", host="example.com", headers=[("Connection", value)]))
                resp = c.read_response()
                self.assertEqual(resp.status, 301, repr(resp))
                self.assertIn("close", resp.connection_tokens(), repr(resp))
                closed, extra, _ = c.wait_closed(3)
                self.assertTrue(closed, f"Connection: {value} did not close")
                self.assertEqual(extra, b"")

    def test_connection_close_on_challenge(self):
        c = self.conn()
        c.send(request("GET", PREFIX + "tokA", host="example.com",
                       headers=[("Connection", "close")]))
        resp = c.read_response()
        self.assertEqual(resp.status, 200, repr(resp))
        self.assertEqual(resp.body, b"content-A")
        closed, _, _ = c.wait_closed(3)
        self.assertTrue(closed)

    def test_http10_closes_by_default(self):
        for host in (None, "example.com"):
            with self.subTest(host=host):
                c = self.conn()
                c.send(request("GET", "/ten", host=host, version="HTTP/1.0"))
                resp = c.read_response()
                # Without Host an HTTP/1.0 request cannot name a host to redirect to; it is
                # either redirected using another source or refused with 400.
                if host is None:
                    self.assertIn(resp.status, (301, 400), repr(resp))
                else:
                    self.assertEqual(resp.status, 301, repr(resp))
                    self.assertEqual(resp.get("location"), "https://example.com/ten")
                closed, extra, _ = c.wait_closed(3)
                self.assertTrue(closed, "HTTP/1.0 without keep-alive must close")
                self.assertEqual(extra, b"")

    def test_http10_keepalive(self):
        c = self.conn()
        c.send(request("GET", "/ten", host="example.com", version="HTTP/1.0",
                       headers=[("Connection", "keep-alive")]))
        resp = c.read_response()
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertNotIn("close", resp.connection_tokens(), repr(resp))
        c.send(request("GET", "/ten2", host="example.com", version="HTTP/1.0",
                       headers=[("Connection", "Keep-Alive")]))
        resp = c.read_response()
        self.assertEqual(resp.get("location"), "https://example.com/ten2")
        self.assert_open(c)

    def test_pipelined_in_one_send(self):
        reqs = [
            ("GET", "/p1", False, 301, "https://example.com/p1", None),
            ("GET", PREFIX + "tokA", False, 200, None, b"content-A"),
            ("HEAD", "/p3", True, 301, "https://example.com/p3", b""),
            ("HEAD", PREFIX + "tokB", True, 200, None, b""),
            ("GET", PREFIX + "missing", False, 404, None, None),
            ("GET", PREFIX + "tokB", False, 200, None, b"content-B-longer"),
            ("POST", "/p7", False, 301, "https://example.com/p7", None),
            ("GET", "/p8?q=1", False, 301, "https://example.com/p8?q=1", None),
        ]
        raw = b"".join(request(m, t, host="example.com",
                               headers=[("Content-Length", "0")] if m == "POST" else [])
                       for m, t, *_ in reqs)
        c = self.conn()
        c.send(raw)
        for i, (m, t, head, status, loc, body) in enumerate(reqs):
            resp = c.read_response(head=head)
            self.assertEqual(resp.status, status, f"response #{i} to {m} {t}: {resp!r}")
            if loc is not None:
                self.assertEqual(resp.get("location"), loc, f"response #{i}")
            if body is not None:
                self.assertEqual(resp.body, body, f"response #{i}")
            if m == "HEAD" and status == 200:
                self.assertEqual(resp.get("content-length"), str(len(b"content-B-longer")))
        self.assert_open(c)

    def test_many_pipelined(self):
        n = 200
        c = self.conn()
        c.send(b"".join(request("GET", f"/n{i}", host="example.com") for i in range(n)))
        for i in range(n):
            resp = c.read_response()
            self.assertEqual(resp.get("location"), f"https://example.com/n{i}", f"#{i}")
        self.assert_open(c)

    def test_large_pipeline_with_concurrent_reader(self):
        # A client pipelines 2000 requests (~90 KB) in one go while reading every response
        # as it arrives: all are answered, in order, on the same connection. (The server
        # may stop reading while its output is blocked; it must not drop the client.)
        n = 2000
        c = self.conn(timeout=20)
        data = b"".join(request("GET", f"/bulk{i}", host="example.com") for i in range(n))
        errors = []

        def sender():
            try:
                c.sock.sendall(data)
            except OSError as e:
                errors.append(e)
        t = threading.Thread(target=sender, daemon=True)
        t.start()
        got = 0
        try:
            for i in range(n):
                resp = c.read_response(timeout=10)
                self.assertEqual(resp.get("location"), f"https://example.com/bulk{i}", f"#{i}")
                got += 1
        except AssertionError as e:
            self.fail(f"pipeline of {n} requests ({len(data)} bytes): only {got} responses, "
                      f"then: {str(e)[:300]}; sender error: {errors}")
        finally:
            t.join(20)
        self.assertEqual(errors, [])
        self.assert_open(c)

    def test_pipelined_last_closes(self):
        c = self.conn()
        c.send(request("GET", "/a", host="example.com")
               + request("GET", "/b", host="example.com", headers=[("Connection", "close")])
               + request("GET", "/c", host="example.com"))
        self.assertEqual(c.read_response().get("location"), "https://example.com/a")
        r = c.read_response()
        self.assertEqual(r.get("location"), "https://example.com/b")
        self.assertIn("close", r.connection_tokens())
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed)
        self.assertEqual(extra, b"", "a request after Connection: close must not be answered")

    def test_request_split_across_sends(self):
        raw = request("GET", "/split/path?x=y", host="example.com",
                      headers=[("User-Agent", "splitter"), ("Accept", "*/*")])
        c = self.conn()
        for i in range(len(raw)):
            c.send(raw[i:i + 1])
            if i % 8 == 0:
                time.sleep(0.002)
        resp = c.read_response()
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertEqual(resp.get("location"), "https://example.com/split/path?x=y")
        # CRLF CRLF split exactly at every position
        for cut in range(len(raw) - 4, len(raw)):
            with self.subTest(cut=cut):
                c.send(raw[:cut])
                time.sleep(0.01)
                c.send(raw[cut:])
                self.assertEqual(c.read_response().status, 301)

    def test_pipelined_with_partial_tail(self):
        a = request("GET", "/first", host="example.com")
        b = request("GET", "/second", host="example.com")
        c = self.conn()
        c.send(a + b[:10])
        self.assertEqual(c.read_response().get("location"), "https://example.com/first")
        c.send(b[10:])
        self.assertEqual(c.read_response().get("location"), "https://example.com/second")

    def test_ipv6_keepalive(self):
        c = self.conn(addr=("::1", self.inst.port))
        for i in range(3):
            c.send(request("GET", f"/six{i}", host="example.com"))
            self.assertEqual(c.read_response().get("location"), f"https://example.com/six{i}")

    def rss_kib(self):
        with open(f"/proc/{self.inst.rw.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def test_pipelined_flood_without_reading_is_backpressured(self):
        # A client that pipelines requests and never reads: ringway stops reading once its
        # output is blocked (or drops the connection), so its memory stays bounded (no
        # response queue growing with the flood), and it still serves others.
        one = request("GET", "/flood", host="example.com")
        chunk = one * 2000
        c = self.conn(rcvbuf=4096)
        c.sock.setblocking(False)
        before = self.rss_kib()
        sent = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and sent < 64 * 1024 * 1024:
            try:
                sent += c.sock.send(chunk)
            except BlockingIOError:
                if not select.select([], [c.sock], [], 0.2)[1]:
                    # Send side blocked: the server is not reading.
                    if time.monotonic() > deadline - 2.5:
                        break
            except (BrokenPipeError, ConnectionResetError):
                break
        grown = self.rss_kib() - before
        self.assertLess(sent, 64 * 1024 * 1024,
                        "64 MiB of pipelined requests were taken in without reading responses")
        self.assertLess(grown, 32 * 1024, f"ringway RSS grew by {grown} KiB during the flood "
                                          f"({sent} bytes of requests)")
        other = self.conn()
        other.send(request("GET", "/other", host="example.com"))
        self.assertEqual(other.read_response().get("location"), "https://example.com/other")

    def test_curl_reuses_connection(self):
        base = f"http://127.0.0.1:{self.inst.port}"
        p = curl("-sv", "-o", "/dev/null", "-o", "/dev/null",
                 f"{base}/one", f"{base}{PREFIX}tokA")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Re-using existing connection", p.stderr, p.stderr)
        self.assertEqual(len(re.findall(r"(?m)^\* +Trying ", p.stderr)), 1, p.stderr)
        self.assertRegex(p.stderr, r"(?m)^< HTTP/1\.1 301")
        self.assertRegex(p.stderr, r"(?m)^< HTTP/1\.1 200")


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""Reverse proxy, large bodies and upstream connection reuse after them (backends, clients
and the ringway setup: test_proxy.py).

NOT registered in meson.build yet: at commits 545a883 and 6b6cbfd these fail in ringway,
see each test's note:
  (A) a Content-Length response body of about 600 KB or more is cut after 144-280 KiB
      (545a883: always 147456 bytes of head + body from nginx; 6b6cbfd: 147196 to 278528
      body bytes): the client connection is closed, the upstream connection reset, no error
      line and no access log line; 300 KB passes, and a 5 MB chunked (gzip) body passes;
  (B) a request body of about 500 KB or more (Content-Length or chunked, raw client or
      curl) is cut: the backend sees a short body, the client's connection is closed with
      no response (curl: "Empty reply from server" / "Connection reset by peer"); 300 KB
      fails now and then (1 run in 8, more often under load), 100 KB has not failed;
  (C) after a response body of 32 KB or more the upstream connection is not reused: every
      next request opens a new upstream connection (20 KB bodies reuse one connection for
      all requests).
Register it (integration, timeout 120) once they pass."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_proxy import (BIG, BODY_MAX, KB, MB, RSS_GROWTH_MAX_KB, ProxyBase,  # noqa: E402
                        request, rss_kb, sha)


class StreamingDownloads(ProxyBase):

    def test_get_5m_byte_exact(self):  # (A)
        self.check_get(("5m",))

    def test_get_5m_with_curl(self):  # (A)
        self.check_curl_get(("5m",))

    def test_slow_reader_5m_byte_exact(self):  # (A)
        """The client reads in 16 KB pieces (~4 MB/s) and stops for 1.5 s after 1 MB."""
        c = self.conn("a.test", rcvbuf=32 * KB, timeout=30)
        c.send(request("GET", "/5m", host="a.test"))
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in c.buf:
            self.assertTrue(c._fill(deadline), f"closed before the head {self.diag()}")
        head, _, body = c.buf.partition(b"\r\n\r\n")
        c.buf = b""
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertIn(b"\r\nContent-Length: %d" % (5 * MB), head)
        parts, got, paused = [body], len(body), False
        while got < 5 * MB and time.monotonic() < deadline:
            if not paused and got >= MB:
                time.sleep(1.5)
                paused = True
            data = c.recv_some(16 * KB)
            if not data:
                break
            parts.append(data)
            got += len(data)
            time.sleep(0.004)
        body = b"".join(parts)
        self.assertEqual(len(body), 5 * MB, f"got {len(body)} bytes {self.diag()}")
        self.assertEqual(sha(body), sha(self.nginx.files["5m"]))
        r = self.get("a.test", "/1k", conn=c)  # the connection stays usable
        self.assertEqual(r.body, self.nginx.files["1k"])

    def test_rate_limited_curl_5m_byte_exact(self):  # (A)
        out = os.path.join(self.tmp, "curl-slow-5m")
        start = time.monotonic()
        p = self.curl("a.test", "--limit-rate", "2M", "-o", out, "-w", "%{http_code}",
                      "--max-time", "30", path="/5m")
        self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
        self.assertEqual(p.stdout, "200")
        self.assertGreater(time.monotonic() - start, 1.5, "curl did not limit its rate")
        with open(out, "rb") as f:
            self.assertEqual(sha(f.read()), sha(self.nginx.files["5m"]))

class StreamingReuse(ProxyBase):

    def test_upstream_reused_after_100k_responses(self):  # (C)
        self.check_upstream_reuse(("0", "1k", "100k"))

    def test_concurrent_clients_100k_share_a_pool(self):  # (C)
        lines = self.run_concurrent("100k")
        conns = {line[0] for line in lines}
        self.assertLessEqual(len(conns), 16, f"8 clients x 8 requests used {len(conns)} "
                                             "upstream connections")


class StreamingPost(ProxyBase):

    def test_post_300k_several_on_one_connection(self):  # (B), now and then
        c = self.conn("p.test")
        for _ in range(3):
            self.post(300 * KB, conn=c)
            self.post(300 * KB, chunks=[64 * KB] * 4 + [44 * KB], conn=c)

    def test_post_1m_content_length_and_chunked(self):  # (B)
        self.post(MB)
        self.post(MB, chunks=[64 * KB] * 16)

    def test_post_1m_with_curl(self):  # (B)
        self.curl_post(MB)

    def test_body_at_1m_limit_is_accepted(self):  # (B)
        self.post(BODY_MAX)
        self.post(BODY_MAX, chunks=[BODY_MAX // 2, BODY_MAX // 2])

    def test_body_over_1m_limit_chunked_413(self):  # (B): no 413, the connection is closed
        self.over_limit_chunked("p.test", BODY_MAX)


class StreamingShortResponseTimeout(ProxyBase):
    TIMEOUTS = {"upstream_connect": "5s", "upstream_response": "1s", "upstream_idle": "300s"}

    def test_client_pause_longer_than_upstream_response_not_cut(self):  # (A)
        """upstream_response bounds the wait for the head, not a slow client's body."""
        c = self.conn("a.test", rcvbuf=32 * KB, timeout=20)
        c.send(request("GET", "/5m", host="a.test"))
        deadline = time.monotonic() + 20
        while b"\r\n\r\n" not in c.buf:
            self.assertTrue(c._fill(deadline), self.diag())
        time.sleep(2.5)
        head, _, c.buf = c.buf.partition(b"\r\n\r\n")
        while len(c.buf) < 5 * MB:
            if not c._fill(deadline):
                break
        self.assertEqual(len(c.buf), 5 * MB, f"cut after {len(c.buf)} bytes {self.diag()}")
        self.assertEqual(sha(c.buf), sha(self.nginx.files["5m"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)

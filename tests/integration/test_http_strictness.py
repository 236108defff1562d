#!/usr/bin/env python3
"""Strict HTTP/1.1 parsing (RFC 9112): each malformed request is answered with its status,
a `Connection: close` header, and then the connection is closed."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import RingwayCase, request  # noqa: E402

OK = request("GET", "/ok", host="example.com")


class Strictness(RingwayCase):
    CONFIG = dict()  # defaults: request_head_bytes 16384, header_count 64

    def assert_rejected(self, raw, status, prefix=b""):
        """Sends raw (optionally after a good request on the same connection), expects the
        error status with Connection: close, then EOF; nothing after the response."""
        c = self.conn()
        if prefix:
            c.send(prefix)
            first = c.read_response()
            self.assertEqual(first.status, 301, repr(first))
        ok = c.try_send(raw)
        try:
            resp = c.read_response(timeout=5)
        except AssertionError as e:
            self.fail(f"sent {raw[:300]!r} (send {'ok' if ok else 'failed'}): expected {status}, "
                      f"{e} {self.diag()}")
        self.assertEqual(resp.status, status, f"sent {raw[:300]!r}, got {resp!r}")
        self.assertIn("close", resp.connection_tokens(),
                      f"sent {raw[:300]!r}: error response lacks Connection: close: {resp!r}")
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed, f"sent {raw[:300]!r}: connection not closed after {status}")
        self.assertEqual(extra, b"", f"bytes after the error response: {extra[:300]!r}")
        return resp

    # -- sanity: the good request works on this instance
    def test_good_request(self):
        resp = self.roundtrip(OK)
        self.assertEqual(resp.status, 301)

    # -- framing
    def test_content_length_and_transfer_encoding(self):
        self.assert_rejected(request("POST", "/", headers=[("Content-Length", "5"),
                                                            ("Transfer-Encoding", "chunked")],
                                     body=b"0\r\n\r\n"), 400)
        self.assert_rejected(request("POST", "/", headers=[("Transfer-Encoding", "chunked"),
                                                            ("Content-Length", "5")],
                                     body=b"0\r\n\r\n"), 400)

    def test_two_content_length_fields(self):
        self.assert_rejected(request("POST", "/", headers=[("Content-Length", "5"),
                                                            ("Content-Length", "5")],
                                     body=b"hello"), 400)
        self.assert_rejected(request("POST", "/", headers=[("Content-Length", "5"),
                                                            ("Content-Length", "6")],
                                     body=b"hello!"), 400)

    def test_malformed_content_length(self):
        for value in ("1x", "-1", "+1", "0x5", "5 5", "", "1.0"):
            with self.subTest(value=value):
                self.assert_rejected(request("POST", "/", headers=[("Content-Length", value)],
                                             body=b"x"), 400)

    def test_overflowing_content_length(self):
        raw = request("POST", "/", headers=[("Content-Length", "99999999999999999999999999")],
                      body=b"x")
        c = self.conn()
        c.send(raw)
        resp = c.read_response()
        self.assertIn(resp.status, (400, 413), f"sent {raw!r}, got {resp!r}")
        closed, _, _ = c.wait_closed(3)
        self.assertTrue(closed)

    # -- line syntax
    def test_bare_cr_in_header(self):
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A: a\rb\r\n\r\n", 400)
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A: ab\r\r\n\r\n", 400)

    def test_bare_lf_line_endings(self):
        self.assert_rejected(b"GET / HTTP/1.1\nHost: example.com\n\n", 400)
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\nX-A: b\r\n\r\n", 400)

    def test_obs_fold(self):
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A: a\r\n b\r\n\r\n", 400)
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A: a\r\n\tb\r\n\r\n", 400)

    def test_space_before_colon(self):
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A : b\r\n\r\n", 400)
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", 400)

    def test_first_header_line_starts_with_space(self):
        self.assert_rejected(b"GET / HTTP/1.1\r\n Host: example.com\r\n\r\n", 400)

    def test_invalid_method_token(self):
        for method in (b"G(T", b"GE@T", b"GE\"T", b"G,ET", b"GE\x01T", b"GE\x80T"):
            with self.subTest(method=method):
                self.assert_rejected(method + b" / HTTP/1.1\r\nHost: example.com\r\n\r\n", 400)

    def test_invalid_header_name(self):
        for name in (b"X(A", b"X\"A", b"X A", b"X/A", b"X{A}", b"X\x00A", b"X\x7fA", b""):
            with self.subTest(name=name):
                self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\n" + name
                                     + b": v\r\n\r\n", 400)

    def test_missing_colon(self):
        self.assert_rejected(b"GET / HTTP/1.1\r\nHost: example.com\r\nNoColonHere\r\n\r\n", 400)

    def test_missing_host_http11(self):
        self.assert_rejected(request("GET", "/", host=None), 400)

    def test_duplicate_host_http11(self):
        # RFC 9112 section 3.2: a server MUST respond 400 to more than one Host field.
        self.assert_rejected(request("GET", "/", host="a.example",
                                     headers=[("Host", "b.example")]), 400)

    def test_bad_request_line(self):
        for line in (b"GET / HTTP/1.1 extra", b"/ HTTP/1.1", b"GET  HTTP/1.1",
                     b"GET / HTTP/1.1\x00"):
            with self.subTest(line=line):
                self.assert_rejected(line + b"\r\nHost: example.com\r\n\r\n", 400)

    def test_malformed_version(self):
        # Not an HTTP-version at all: 400 (505 is tolerated for a version-looking token and
        # for an HTTP/0.9-style request line without a version).
        for line in (b"GET /", b"GET / HTTP1.1", b"GET / http/1.1", b"GET / HTTP/1", b"GET / HTTP/1.x"):
            with self.subTest(line=line):
                c = self.conn()
                c.send(line + b"\r\nHost: example.com\r\n\r\n")
                resp = c.read_response()
                self.assertIn(resp.status, (400, 505), f"sent {line!r}, got {resp!r}")
                self.assertIn("close", resp.connection_tokens(), repr(resp))
                closed, _, _ = c.wait_closed(3)
                self.assertTrue(closed)

    # -- limits (defaults: request_head_bytes = 16384, header_count = 64)
    def test_head_too_large_complete(self):
        raw = request("GET", "/", headers=[("X-Big", "a" * 20000)])
        self.assert_rejected(raw, 431)

    def test_head_too_large_never_ends(self):
        # No terminating blank line: the server must answer once the limit is passed
        # rather than wait for more.
        raw = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Big: " + b"a" * 20000
        self.assert_rejected(raw, 431)

    def test_long_request_target(self):
        # The request line is part of the head: 431 (414 URI Too Long is tolerated).
        raw = request("GET", "/" + "p" * 20000)
        c = self.conn()
        c.try_send(raw)
        resp = c.read_response()
        self.assertIn(resp.status, (414, 431), repr(resp))
        self.assertIn("close", resp.connection_tokens(), repr(resp))
        closed, _, _ = c.wait_closed(3)
        self.assertTrue(closed)

    def test_head_within_limit_ok(self):
        resp = self.roundtrip(request("GET", "/", headers=[("X-Big", "a" * 12000)]))
        self.assertEqual(resp.status, 301, repr(resp))

    def test_too_many_header_fields(self):
        raw = request("GET", "/", headers=[(f"X-H{i}", "v") for i in range(100)])
        self.assert_rejected(raw, 431)

    def test_many_header_fields_within_limit_ok(self):
        resp = self.roundtrip(request("GET", "/", headers=[(f"X-H{i}", "v") for i in range(50)]))
        self.assertEqual(resp.status, 301, repr(resp))

    # -- versions
    def test_unsupported_versions_505(self):
        for version in ("HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/9.9"):
            with self.subTest(version=version):
                self.assert_rejected(request("GET", "/", version=version), 505)

    # -- an error after a good request on the same connection
    def test_error_after_good_request(self):
        self.assert_rejected(b"GET / HTTP/1.1\nHost: example.com\n\n", 400, prefix=OK)

    def test_good_then_bad_pipelined(self):
        c = self.conn()
        c.send(OK + b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A : b\r\n\r\n" + OK)
        r1 = c.read_response()
        self.assertEqual(r1.status, 301, repr(r1))
        r2 = c.read_response()
        self.assertEqual(r2.status, 400, repr(r2))
        self.assertIn("close", r2.connection_tokens())
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed)
        self.assertEqual(extra, b"", "the request after the bad one must not be answered")

    # -- a request with a body is answered, then the connection is closed
    def test_body_then_close(self):
        c = self.conn()
        c.send(request("POST", "/upload", headers=[("Content-Length", "11")], body=b"hello world"))
        resp = c.read_response()
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertEqual(resp.get("location"), "https://example.com/upload")
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed, "connection must close after a request with a body")
        self.assertEqual(extra, b"")

    def test_body_pipelined_request_not_answered(self):
        # The body bytes must not be parsed as a request: the connection closes after
        # the first response, and the smuggled request is never answered.
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n"
        c = self.conn()
        c.send(request("POST", "/a", headers=[("Content-Length", str(len(smuggled)))],
                       body=smuggled))
        resp = c.read_response()
        self.assertEqual(resp.status, 301, repr(resp))
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed)
        self.assertNotIn(b"smuggled", extra)
        self.assertEqual(extra, b"")

    def test_chunked_request_answered_and_closed(self):
        c = self.conn()
        c.send(request("POST", "/c", headers=[("Transfer-Encoding", "chunked")],
                       body=b"5\r\nhello\r\n0\r\n\r\n"))
        resp = c.read_response()
        # A body-carrying request: it is answered (301 for a non-challenge path) or refused
        # (411/400/501), and either way the connection then closes.
        self.assertIn(resp.status, (301, 400, 411, 501), repr(resp))
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed)
        self.assertEqual(extra, b"")

    def test_zero_content_length_keeps_alive(self):
        c = self.conn()
        c.send(request("POST", "/z", headers=[("Content-Length", "0")]) + OK)
        self.assertEqual(c.read_response().status, 301)
        r2 = c.read_response()
        self.assertEqual(r2.status, 301)
        self.assertEqual(r2.get("location"), "https://example.com/ok")


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""Access log: nginx `combined` lines and JSON lines with Caddy's field names, to a file
(polled: lines may be flushed with a small delay) and to stdout."""

import datetime
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import RingwayCase, read_lines_when, request  # noqa: E402

PREFIX = "/.well-known/acme-challenge/"
TOKEN_BODY = b"token-body-for-log"

COMBINED = re.compile(
    r'(?P<addr>\S+) - (?P<user>\S+) \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} '
    r'[+-]\d{4})\] "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+) '
    r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)"')


def marker():
    return f"m{time.monotonic_ns()}"


class LogCase(RingwayCase):
    def wait_lines(self, pred, path=None):
        path = path or self.inst.access_log
        return read_lines_when(path, pred, timeout=3.0)

    def lines_with(self, text, n=1, path=None):
        lines = self.wait_lines(lambda ls: sum(text in x for x in ls) >= n, path)
        got = [x for x in lines if text in x]
        self.assertGreaterEqual(len(got), n, f"{n} log line(s) with {text!r} expected within 3 s; "
                                             f"log has {lines[-10:]!r} {self.diag()}")
        return got


class Combined(LogCase):
    CONFIG = dict(ipv6=True, access="file", log_format="combined")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inst.put_token("logTok", TOKEN_BODY)

    def parse(self, line):
        m = COMBINED.fullmatch(line)
        self.assertIsNotNone(m, f"not a combined log line: {line!r}")
        t = datetime.datetime.strptime(m.group("time"), "%d/%b/%Y:%H:%M:%S %z")
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - t).total_seconds()), 300, f"timestamp off: {line!r}")
        return m

    def test_redirect_line(self):
        mk = marker()
        c = self.conn()
        c.send(request("GET", f"/x/{mk}?y=1", host="example.com",
                       headers=[("User-Agent", "curl/7.88.1"),
                                ("Referer", "http://ref.example/page")]))
        resp = c.read_response()
        self.assertEqual(resp.status, 301)
        (line,) = self.lines_with(mk)
        m = self.parse(line)
        self.assertEqual(m.group("addr"), "127.0.0.1")
        self.assertEqual(m.group("user"), "-")
        self.assertEqual(m.group("request"), f"GET /x/{mk}?y=1 HTTP/1.1")
        self.assertEqual(m.group("status"), "301")
        self.assertEqual(int(m.group("size")), len(resp.body), "size is the body bytes sent")
        self.assertEqual(m.group("referer"), "http://ref.example/page")
        self.assertEqual(m.group("ua"), "curl/7.88.1")

    def test_missing_headers_are_dash(self):
        mk = marker()
        self.roundtrip(request("GET", f"/{mk}", host="example.com"))
        (line,) = self.lines_with(mk)
        m = self.parse(line)
        self.assertEqual(m.group("referer"), "-")
        self.assertEqual(m.group("ua"), "-")

    def test_challenge_404_head_lines(self):
        mk = marker()
        c = self.conn()
        c.send(request("GET", PREFIX + "logTok?" + mk, host="example.com",
                       headers=[("User-Agent", "LetsEncrypt-Pebble-VA")]))
        r1 = c.read_response()
        c.send(request("GET", PREFIX + "missing" + mk, host="example.com"))
        r2 = c.read_response()
        c.send(request("HEAD", PREFIX + "logTok?" + mk + "h", host="example.com"))
        c.read_response(head=True)
        self.assertEqual((r1.status, r2.status), (200, 404))
        lines = self.lines_with(mk, 3)
        m1, m2, m3 = (self.parse(x) for x in lines)
        self.assertEqual((m1.group("status"), int(m1.group("size"))), ("200", len(TOKEN_BODY)))
        self.assertEqual(m1.group("ua"), "LetsEncrypt-Pebble-VA")
        self.assertEqual((m2.group("status"), int(m2.group("size"))), ("404", len(r2.body)))
        self.assertEqual(m3.group("request"), f"HEAD {PREFIX}logTok?{mk}h HTTP/1.1")
        self.assertEqual((m3.group("status"), m3.group("size")), ("200", "0"),
                         "HEAD sends no body bytes")

    def test_ipv6_client(self):
        mk = marker()
        c = self.conn(addr=("::1", self.inst.port))
        c.send(request("GET", f"/{mk}", host="example.com"))
        c.read_response()
        (line,) = self.lines_with(mk)
        self.assertEqual(self.parse(line).group("addr"), "::1")

    def test_quotes_in_user_agent_are_escaped(self):
        mk = marker()
        ua = 'evil" 200 0 "-" "injected'
        self.roundtrip(request("GET", f"/{mk}", host="example.com", headers=[("User-Agent", ua)]))
        (line,) = self.lines_with(mk)
        m = self.parse(line)
        self.assertNotEqual(m.group("ua"), ua)
        self.assertNotIn('"', m.group("ua").replace('\\"', ""),
                         f"unescaped quote in the logged User-Agent: {line!r}")
        self.assertIn("injected", m.group("ua"))

    def test_one_line_per_request(self):
        mk = marker()
        c = self.conn()
        c.send(b"".join(request("GET", f"/{mk}/{i}", host="example.com") for i in range(10)))
        for _ in range(10):
            c.read_response()
        lines = self.lines_with(mk, 10)
        self.assertEqual([self.parse(x).group("request") for x in lines],
                         [f"GET /{mk}/{i} HTTP/1.1" for i in range(10)])


class Json(LogCase):
    CONFIG = dict(access="file", log_format="json")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inst.put_token("logTok", TOKEN_BODY)

    def entry(self, mk):
        (line,) = self.lines_with(mk)
        try:
            e = json.loads(line)
        except ValueError as exc:
            self.fail(f"not a JSON line: {line!r} ({exc})")
        self.assertIsInstance(e, dict)
        return e, line

    def check_common(self, e, line):
        self.assertIsInstance(e.get("ts"), (int, float), line)
        self.assertLess(abs(e["ts"] - time.time()), 300, f"ts is not now: {line}")
        self.assertIsInstance(e.get("request"), dict, line)
        self.assertEqual(e["request"].get("remote_ip"), "127.0.0.1", line)
        self.assertIsInstance(e.get("status"), int, line)
        self.assertIsInstance(e.get("size"), int, line)
        self.assertIsInstance(e.get("duration"), (int, float), line)
        self.assertGreaterEqual(e["duration"], 0, line)
        self.assertLess(e["duration"], 60, f"duration is in seconds: {line}")

    def test_redirect_entry(self):
        mk = marker()
        resp = self.roundtrip(request("GET", f"/j/{mk}?a=b", host="example.org",
                                      headers=[("User-Agent", "curl/7.88.1")]))
        e, line = self.entry(mk)
        self.check_common(e, line)
        self.assertEqual(e["request"].get("host"), "example.org", line)
        self.assertEqual(e["request"].get("uri"), f"/j/{mk}?a=b", line)
        self.assertEqual(e["request"].get("headers", {}).get("User-Agent"), ["curl/7.88.1"], line)
        self.assertEqual(e["status"], 301, line)
        self.assertEqual(e["size"], len(resp.body), line)

    def test_challenge_entry(self):
        mk = marker()
        self.roundtrip(request("GET", PREFIX + "logTok?" + mk, host="acme.example",
                               headers=[("User-Agent", "LetsEncrypt-Pebble-VA")]))
        e, line = self.entry(mk)
        self.check_common(e, line)
        self.assertEqual(e["status"], 200)
        self.assertEqual(e["size"], len(TOKEN_BODY))
        self.assertEqual(e["request"]["headers"]["User-Agent"], ["LetsEncrypt-Pebble-VA"])

    def test_escaping(self):
        mk = marker()
        ua = 'a"b\\c\td'
        self.roundtrip(request("GET", f"/{mk}", host="example.com", headers=[("User-Agent", ua)]))
        e, line = self.entry(mk)
        self.assertEqual(e["request"]["headers"]["User-Agent"], [ua], line)

    def test_each_line_is_json(self):
        mk = marker()
        c = self.conn()
        c.send(b"".join(request("GET", f"/{mk}/{i}", host="example.com") for i in range(5)))
        for _ in range(5):
            c.read_response()
        lines = self.lines_with(mk, 5)
        self.assertEqual([json.loads(x)["request"]["uri"] for x in lines],
                         [f"/{mk}/{i}" for i in range(5)])


class Stdout(LogCase):
    CONFIG = dict(access="-", log_format="combined")

    def test_lines_on_stdout(self):
        mk = marker()
        self.roundtrip(request("GET", f"/{mk}", host="example.com"))
        (line,) = self.lines_with(mk, path=self.inst.rw.stdout_path)
        self.assertRegex(line, rf'^127\.0\.0\.1 - - \[[^\]]+\] "GET /{mk} HTTP/1\.1" 301 \d+ "-" "-"$')


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""Port 80: everything that is not an ACME challenge is a 301 to https, Host validated;
IPv4 and IPv6 listeners."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (RingwayCase, curl, request, start_instance,  # noqa: E402
                             stop_instance)


class RedirectDefaultPort(RingwayCase):
    CONFIG = dict(ipv6=True)  # redirect_port left out: the default is 443

    def assert_redirect(self, resp, location, raw=b""):
        self.assertEqual(resp.status, 301, f"sent {raw!r}, got {resp!r} {self.diag()}")
        self.assertEqual(resp.get("location"), location, f"sent {raw!r}, got {resp!r}")
        self.assertTrue(resp.get("content-type", "").startswith("text/html"),
                        f"Content-Type should be text/html: {resp!r}")
        self.assertEqual(resp.get("content-length"), str(len(resp.body)), repr(resp))
        self.assertGreater(len(resp.body), 0, "a small body is expected")
        self.assertLess(len(resp.body), 4096, "the body should be small")

    def test_root(self):
        raw = request("GET", "/", host="example.com")
        self.assert_redirect(self.roundtrip(raw), "https://example.com/", raw)

    def test_path_and_query_preserved(self):
        target = "/a/b%20c/d.tar.gz?x=1&y=%2F&z"
        raw = request("GET", target, host="opam.example.org")
        self.assert_redirect(self.roundtrip(raw), "https://opam.example.org" + target, raw)

    def test_host_port_is_dropped(self):
        raw = request("GET", "/p", host="example.com:8080")
        self.assert_redirect(self.roundtrip(raw), "https://example.com/p", raw)

    def test_host_case_kept_or_lowered(self):
        raw = request("GET", "/", host="WWW.Example.COM")
        resp = self.roundtrip(raw)
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertIn(resp.get("location"), ("https://WWW.Example.COM/", "https://www.example.com/"))

    def test_ipv4_literal_host(self):
        raw = request("GET", "/x", host="192.0.2.7:80")
        self.assert_redirect(self.roundtrip(raw), "https://192.0.2.7/x", raw)

    def test_ipv6_literal_host(self):
        raw = request("GET", "/x", host="[2001:db8::1]:8080")
        self.assert_redirect(self.roundtrip(raw), "https://[2001:db8::1]/x", raw)
        raw = request("GET", "/y", host="[::1]")
        self.assert_redirect(self.roundtrip(raw), "https://[::1]/y", raw)

    def test_any_method_redirects(self):
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"):
            with self.subTest(method=method):
                raw = request(method, "/m", host="example.com",
                              headers=[("Content-Length", "0")])
                self.assert_redirect(self.roundtrip(raw), "https://example.com/m", raw)

    def test_head_redirect_has_no_body(self):
        c = self.conn()
        c.send(request("HEAD", "/h", host="example.com") + request("GET", "/g", host="example.com"))
        r1 = c.read_response(head=True)
        self.assertEqual(r1.status, 301, repr(r1))
        self.assertEqual(r1.get("location"), "https://example.com/h")
        r2 = c.read_response()
        # If HEAD had carried a body, it would show up here instead of the second status line.
        self.assertEqual(r2.status, 301, f"HEAD response carried a body? second: {r2!r}")
        self.assertEqual(r2.get("location"), "https://example.com/g")

    def test_challenge_prefix_lookalikes_redirect(self):
        for target in ("/.well-known/acme-challengeX/abc", "/.well-known/", "/.well-known/other/abc",
                       "/x/.well-known/acme-challenge/abc"):
            with self.subTest(target=target):
                raw = request("GET", target, host="example.com")
                self.assert_redirect(self.roundtrip(raw), "https://example.com" + target, raw)

    def test_invalid_hosts_are_400_without_location(self):
        for host in ("a b", "a/b", "a@b", "[::1", "exa mple", "%41", "ex\"ample.com",
                     "<script>", "example.com/evil", "a\\b", "user@example.com"):
            with self.subTest(host=host):
                raw = request("GET", "/", host=host)
                c = self.conn()
                c.send(raw)
                resp = c.read_response()
                self.assertEqual(resp.status, 400, f"sent {raw!r}, got {resp!r}")
                self.assertFalse(resp.has("location"), f"Location present for bad Host: {resp!r}")
                self.assertNotIn(b"https://", resp.raw_head)

    def test_host_label_hyphen_rules(self):
        # A DNS label neither starts nor ends with '-' (RFC 1123 host names).
        for host in ("-bad-.com", "bad-.example.com", "-x.example.com"):
            with self.subTest(host=host):
                resp = self.roundtrip(request("GET", "/", host=host))
                self.assertEqual(resp.status, 400, f"Host: {host} -> {resp!r}")
                self.assertFalse(resp.has("location"))

    def test_more_invalid_hosts(self):
        for host in ("", "a..b", "example.com:abc", "a" * 300, ".", "[::1]x", "[zz::1]",
                     "1.2.3.4:99999"):
            with self.subTest(host=host):
                resp = self.roundtrip(request("GET", "/", host=host))
                self.assertEqual(resp.status, 400, f"Host: {host!r} -> {resp!r}")
                self.assertFalse(resp.has("location"), repr(resp))

    def test_trailing_dot_host(self):
        resp = self.roundtrip(request("GET", "/", host="example.com."))
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertIn(resp.get("location"), ("https://example.com./", "https://example.com/"))

    def test_absolute_form_target(self):
        # RFC 9112 3.2.2: the authority of an absolute-form target replaces Host. Either
        # that, or a 400; never "https://<Host>http://...".
        resp = self.roundtrip(b"GET http://other.example/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n")
        if resp.status == 301:
            self.assertEqual(resp.get("location"), "https://other.example/x?y")
        else:
            self.assertEqual(resp.status, 400, repr(resp))
            self.assertFalse(resp.has("location"))

    def test_asterisk_and_authority_forms(self):
        for raw in (b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
                    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                    b"GET x HTTP/1.1\r\nHost: example.com\r\n\r\n"):
            with self.subTest(raw=raw):
                resp = self.roundtrip(raw)
                loc = resp.get("location")
                self.assertFalse(loc and not re.match(r"https://example\.com/", loc),
                                 f"nonsense Location {loc!r} for {raw!r}")
                self.assertNotEqual(resp.status, 200)

    def test_curl_redirect(self):
        p = curl("-sS", "-o", "/dev/null", "-D", "-", "-H", "Host: www.example.test",
                 f"http://127.0.0.1:{self.inst.port}/some/path?q=1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^HTTP/1\.1 301 ")
        self.assertRegex(p.stdout, r"(?im)^location: https://www\.example\.test/some/path\?q=1\r?$")

    def test_curl_default_host_header(self):
        # curl sends Host: 127.0.0.1:PORT; the port is dropped.
        p = curl("-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                 f"http://127.0.0.1:{self.inst.port}/p")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "301 https://127.0.0.1/p")

    def test_ipv6_listener_with_curl(self):
        p = curl("-sS", "-g", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                 f"http://[::1]:{self.inst.port}/six")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "301 https://[::1]/six")

    def test_ipv6_listener_raw(self):
        c = self.conn(addr=("::1", self.inst.port))
        c.send(request("GET", "/v6", host="example.com"))
        resp = c.read_response()
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertEqual(resp.get("location"), "https://example.com/v6")


class RedirectOtherPort(RingwayCase):
    CONFIG = dict(redirect_port=8443)

    def test_location_includes_port(self):
        resp = self.roundtrip(request("GET", "/a?b=c", host="example.com"))
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertEqual(resp.get("location"), "https://example.com:8443/a?b=c")

    def test_host_port_replaced(self):
        resp = self.roundtrip(request("GET", "/", host="example.com:80"))
        self.assertEqual(resp.get("location"), "https://example.com:8443/")
        resp = self.roundtrip(request("GET", "/", host="[2001:db8::2]:80"))
        self.assertEqual(resp.get("location"), "https://[2001:db8::2]:8443/")


class RedirectPort443Explicit(RingwayCase):
    CONFIG = dict(redirect_port=443)

    def test_location_omits_443(self):
        resp = self.roundtrip(request("GET", "/z", host="example.com:80"))
        self.assertEqual(resp.status, 301, repr(resp))
        self.assertEqual(resp.get("location"), "https://example.com/z")


class WorkersAuto(RingwayCase):
    CONFIG = dict(workers="auto", ipv6=True)

    def test_many_connections_served(self):
        conns = [self.conn(addr=("127.0.0.1" if i % 2 else "::1", self.inst.port))
                 for i in range(24)]
        for i, c in enumerate(conns):
            c.send(request("GET", f"/w{i}", host="example.com"))
        for i, c in enumerate(conns):
            self.assertEqual(c.read_response().get("location"), f"https://example.com/w{i}")


class WildcardDualStack(unittest.TestCase):
    """'[::]:P' and '0.0.0.0:P' together must both start (IPV6_V6ONLY) and both serve."""

    def test_wildcards_same_port(self):
        inst = start_instance(listen_fn=lambda p: [f"0.0.0.0:{p}", f"[::]:{p}"])
        self.addCleanup(stop_instance, inst)
        for addr in (("127.0.0.1", inst.port), ("::1", inst.port)):
            with self.subTest(addr=addr):
                c = inst.connect(addr=addr)
                self.addCleanup(c.close)
                c.send(request("GET", "/w", host="example.com"))
                resp = c.read_response()
                self.assertEqual(resp.status, 301, repr(resp))
                self.assertEqual(resp.get("location"), "https://example.com/w")

    def test_ipv6_first_then_ipv4(self):
        inst = start_instance(listen_fn=lambda p: [f"[::]:{p}", f"0.0.0.0:{p}"])
        self.addCleanup(stop_instance, inst)
        for addr in (("127.0.0.1", inst.port), ("::1", inst.port)):
            with self.subTest(addr=addr):
                c = inst.connect(addr=addr)
                self.addCleanup(c.close)
                c.send(request("GET", "/", host="example.com"))
                self.assertEqual(c.read_response().status, 301)


if __name__ == "__main__":
    unittest.main(verbosity=2)

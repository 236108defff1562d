#!/usr/bin/env python3
"""Proxying for clients that speak HTTP/1.0 and for absolute-form request targets.

HTTP/1.0 has no chunked transfer coding (RFC 9112 7.1 is HTTP/1.1 only; RFC 9112 6.1: a
server must not send chunked to a client that did not speak 1.1). A chunked upstream response
therefore reaches an HTTP/1.0 client de-chunked, without Transfer-Encoding, ended by closing
the connection; the upstream connection itself stays reusable.

An absolute-form target (RFC 9112 3.2.2) names the authority: it routes the request and is
the Host sent upstream, whatever the client's Host field says.

Backends and ringway come from test_proxy.py (ProxyBase: nginx with /echo and gzip'd
/chunked/, the Python backend with /py/chunked); clients write raw bytes over TLS and read
raw bytes until ringway closes, so a chunked body cannot pass as a de-chunked one."""

import os
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import request  # noqa: E402
from test_proxy import ECHO_FIELDS, IO, ProxyBase, marker, sha  # noqa: E402


def split_response(raw):
    """(status line, [(name, value)], body) of one raw response read until close."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError(f"no complete response head in {raw[:300]!r}")
    lines = head.decode("latin-1").split("\r\n")
    fields = [(k.strip().lower(), v.strip()) for k, _, v in (x.partition(":") for x in lines[1:])]
    return lines[0], fields, body


def field(fields, name):
    values = [v for k, v in fields if k == name]
    if len(values) > 1:
        raise AssertionError(f"{name} appears {len(values)} times: {fields}")
    return values[0] if values else None


class Http10Client(ProxyBase):

    def get_http10(self, name, target, headers=(), method="GET"):
        """One HTTP/1.0 request on a new TLS connection; everything read until ringway closes
        it (bounded). Returns (status line, fields, body)."""
        c = self.conn(name)
        c.send(request(method, target, host=name, version="HTTP/1.0", headers=headers))
        raw, closed = c.read_all(timeout=IO)
        self.assertTrue(closed, f"ringway did not close the HTTP/1.0 connection within {IO} s "
                                f"after {raw[:300]!r} {self.diag()}")
        return split_response(raw)

    def assert_close_delimited(self, status_line, fields):
        self.assertRegex(status_line, r"^HTTP/1\.[01] 200 ")
        self.assertIsNone(field(fields, "transfer-encoding"),
                          f"an HTTP/1.0 client was sent a transfer coding: {fields}")
        self.assertIsNone(field(fields, "content-length"), fields)
        self.assertEqual(field(fields, "connection"), "close", fields)

    def test_chunked_response_reaches_http10_client_dechunked(self):
        status_line, fields, body = self.get_http10("p.test", "/py/chunked")
        self.assert_close_delimited(status_line, fields)
        self.assertEqual(len(body), sum(map(len, self.py.chunk_pieces)))
        self.assertEqual(body, b"".join(self.py.chunk_pieces))

    def test_keepalive_http10_client_gets_chunked_response_close_delimited(self):
        # Keep-alive is impossible here: the body's end is known only when ringway closes.
        status_line, fields, body = self.get_http10("p.test", "/py/chunked",
                                                    headers=[("Connection", "keep-alive")])
        self.assert_close_delimited(status_line, fields)
        self.assertEqual(body, b"".join(self.py.chunk_pieces))

    def test_gzip_chunked_response_from_nginx_dechunked(self):
        for name in ("1k", "100k", "5m"):
            with self.subTest(file=name):
                status_line, fields, body = self.get_http10(
                    "a.test", f"/chunked/{name}", headers=[("Accept-Encoding", "gzip")])
                self.assert_close_delimited(status_line, fields)
                self.assertEqual(field(fields, "content-encoding"), "gzip", fields)
                plain = zlib.decompress(body, 16 + zlib.MAX_WBITS)
                self.assertEqual(sha(plain), sha(self.nginx.files[name]))

    def test_head_to_a_chunked_resource_has_no_body_and_no_transfer_coding(self):
        status_line, fields, body = self.get_http10("p.test", "/py/chunked", method="HEAD")
        self.assertRegex(status_line, r"^HTTP/1\.[01] 200 ")
        self.assertIsNone(field(fields, "transfer-encoding"), fields)
        self.assertEqual(body, b"")

    def test_upstream_connection_reused_after_a_dechunked_response(self):
        # The chunked body was read to its end: the pooled connection carries the next request.
        mk = marker()
        for i in range(3):
            status_line, fields, body = self.get_http10(
                "a.test", f"/chunked/1k?{mk}={i}", headers=[("Accept-Encoding", "gzip")])
            self.assertEqual(sha(zlib.decompress(body, 16 + zlib.MAX_WBITS)),
                             sha(self.nginx.files["1k"]))
        r = self.get("a.test", f"/1k?{mk}=after")
        self.assertEqual(r.body, self.nginx.files["1k"])
        lines = self.nginx.log_lines(mk, 4)
        self.assertEqual(len({line[0] for line in lines}), 1,
                         f"expected one upstream connection for all four: {lines}")

    def test_content_length_response_keeps_an_http10_keepalive_connection(self):
        c = self.conn("a.test")
        for i in range(2):
            c.send(request("GET", "/1k", host="a.test", version="HTTP/1.0",
                           headers=[("Connection", "keep-alive")]))
            r = c.read_response(timeout=IO)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.get("content-length"), "1024", r.raw_head)
            self.assertEqual(r.body, self.nginx.files["1k"])
            self.assertNotIn("close", r.connection_tokens(), f"request {i}: {r.raw_head!r}")

    def test_http10_without_keepalive_gets_content_length_response_then_close(self):
        status_line, fields, body = self.get_http10("a.test", "/1k")
        self.assertRegex(status_line, r"^HTTP/1\.[01] 200 ")
        self.assertEqual(field(fields, "content-length"), "1024")
        self.assertEqual(body, self.nginx.files["1k"])


class AbsoluteFormTarget(ProxyBase):

    def echo(self, sni_name, target, host):
        """GET target with Host host over a connection for sni_name; nginx's /echo fields."""
        c = self.conn(sni_name)
        c.send(request("GET", target, host=host))
        r = c.read_response(timeout=IO)
        self.assertEqual(r.status, 200, f"{target} with Host {host}: {r!r} {self.diag()}")
        values = r.body.decode("latin-1").rstrip("\n").split("|")
        self.assertEqual(len(values), len(ECHO_FIELDS),
                         f"{target} with Host {host} did not reach nginx's /echo: {r.body!r}")
        return dict(zip(ECHO_FIELDS, values))

    def test_absolute_form_with_matching_host(self):
        for scheme in ("http", "https"):
            with self.subTest(scheme=scheme):
                e = self.echo("a.test", f"{scheme}://a.test/echo?x=1", "a.test")
                self.assertEqual(e["uri"], "/echo?x=1", "sent upstream in origin form")
                self.assertEqual(e["host"], "a.test")
                self.assertEqual(e["xfh"], "a.test")

    def test_authority_wins_over_a_conflicting_host(self):
        # p.test's upstream is the Python backend, which has no /echo: reaching nginx's
        # /echo proves the request was routed by the authority, and Host upstream is it too.
        for scheme in ("http", "https"):
            with self.subTest(scheme=scheme):
                e = self.echo("a.test", f"{scheme}://a.test/echo?x=2", "p.test")
                self.assertEqual(e["uri"], "/echo?x=2")
                self.assertEqual(e["host"], "a.test", "the client's Host was passed on")
                self.assertEqual(e["xfh"], "a.test")

    def test_authority_with_port_is_the_host_sent_upstream(self):
        e = self.echo("a.test", f"https://a.test:{self.port}/echo", "p.test")
        self.assertEqual(e["host"], f"a.test:{self.port}")
        self.assertEqual(e["uri"], "/echo")

    def test_authority_routes_even_when_host_names_another_proxied_site(self):
        # The other way round: the authority names p.test (the Python backend), Host a.test.
        c = self.conn("a.test")
        mk = marker()
        c.send(request("GET", f"https://p.test/py/chunked?{mk}", host="a.test"))
        r = c.read_response(timeout=IO)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"".join(self.py.chunk_pieces))
        records = self.py.records_for(mk)
        self.assertEqual(len(records), 1, records)
        headers = {k.lower(): v for k, v in records[0][2].items()}
        self.assertEqual(headers.get("host"), "p.test", headers)
        self.assertEqual(records[0][1], f"/py/chunked?{mk}")

    def test_http10_absolute_form_without_host(self):
        c = self.conn("a.test")
        c.send(request("GET", "https://a.test/echo", host=None, version="HTTP/1.0"))
        raw, closed = c.read_all(timeout=IO)
        self.assertTrue(closed, raw[:300])
        status_line, fields, body = split_response(raw)
        self.assertRegex(status_line, r"^HTTP/1\.[01] 200 ")
        values = dict(zip(ECHO_FIELDS, body.decode("latin-1").rstrip("\n").split("|")))
        self.assertEqual(values["host"], "a.test", body)
        self.assertEqual(values["xfh"], "a.test", body)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""HTTPS front end: real handshakes against several sites whose certificates sit in certbot's
layout (live/<name>/*.pem symlinks into archive/<name>/), made with the openssl CLI under a
private root and intermediate CA.

Sites (one ringway for the main class):
  A  a.test, *.a.test        ECDSA P-256   hsts "max-age=31536000; includeSubDomains"
  B  b.test                  RSA 2048      no hsts; the configured default_host
  C  *.c.test, exact.a.test  ECDSA P-256   hsts "max-age=60" (an exact name beats A's wildcard)
  D  d.test                  ECDSA + RSA   (certificates = [ecdsa_dir, rsa_dir])

Clients: openssl s_client (served chain, protocol versions, ciphers, groups, ALPN, session
resumption), curl --resolve --cacert (verification, status, headers, keepalive) and Python's
ssl module over raw sockets (pipelining, handshake timeouts). Every wait is bounded."""

import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (CertbotLineage, HttpConn, RingwayCase, TestCA,  # noqa: E402
                             TlsConn, cert_fields, curl, request, s_client, s_client_get,
                             served_chain, start_instance, stop_instance, tls_client_context)

HSTS_A = "max-age=31536000; includeSubDomains"
HSTS_C = "max-age=60"
REQUEST_HEAD_S = 2  # [timeouts] request_head: also bounds the TLS handshake


def output(p):
    return p.stdout + p.stderr


def established(p):
    """The protocol s_client negotiated ('TLSv1.3', ...) or None when no handshake finished."""
    m = re.search(r"^New, (TLSv[\d.]+), Cipher is (\S+)", p.stdout, re.M)
    if m and m.group(2) != "(NONE)":
        return m.group(1)
    m = re.search(r"^Protocol version: (TLSv[\d.]+)", p.stderr, re.M)  # -brief
    return m.group(1) if m else None


class BioClient:
    """A TLS client over Python's MemoryBIO that writes its records to the socket in pieces
    of `chunk` bytes (TCP_NODELAY, a pause between pieces), so the server sees records cut
    across TCP segments and receive completions."""

    def __init__(self, port, servername, ctx, chunk, pause=0.001):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname=servername)
        self.chunk, self.pause = chunk, pause

    def close(self):
        self.sock.close()

    def _flush(self):
        data = self.outgoing.read()
        for i in range(0, len(data), self.chunk):
            self.sock.sendall(data[i:i + self.chunk])
            time.sleep(self.pause)

    def _pump(self):
        self.sock.settimeout(2)
        data = self.sock.recv(65536)
        if not data:
            self.incoming.write_eof()
            return False
        self.incoming.write(data)
        return True

    def handshake(self, deadline):
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                if time.monotonic() > deadline or not self._pump():
                    raise AssertionError("handshake did not finish")

    def request(self, raw, want, count, deadline):
        """Sends raw; reads plaintext until `want` occurs count times in it, or the deadline."""
        self.tls.write(raw)
        self._flush()
        got = b""
        while got.count(want) < count and time.monotonic() < deadline:
            try:
                got += self.tls.read(65536)
                continue
            except ssl.SSLWantReadError:
                pass
            if not self._pump():
                break
        return got


class TlsSites(RingwayCase):
    """Builds the CA, the four sites' lineages and one ringway for the whole class."""

    DEFAULT_HOST = "b.test"
    SESSION_TICKETS = None  # the config's default (on)

    @classmethod
    def setUpClass(cls):
        unittest.TestCase.setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="ringway-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.ca = TestCA(os.path.join(cls.tmp, "ca"))
        le = os.path.join(cls.tmp, "letsencrypt")
        cls.issued = {
            "A": cls.ca.issue("a.test", ["a.test", "*.a.test"]),
            "B": cls.ca.issue("b.test", ["b.test"], key_type="rsa"),
            "C": cls.ca.issue("*.c.test", ["*.c.test", "exact.a.test"]),
            "D": cls.ca.issue("d.test", ["d.test"]),
            "Drsa": cls.ca.issue("d.test", ["d.test"], key_type="rsa"),
        }
        lineages = {}
        for key, name in (("A", "a.test"), ("B", "b.test"), ("C", "c.test"), ("D", "d.test"),
                          ("Drsa", "d.test-0001")):
            lineages[key] = CertbotLineage(le, name)
            lineages[key].install(cls.issued[key])
        sites = [
            dict(hosts=["a.test", "*.a.test"], certificate=lineages["A"].live, hsts=HSTS_A),
            dict(hosts=["b.test"], certificate=lineages["B"].live, status=200),
            dict(hosts=["*.c.test", "exact.a.test"], certificate=lineages["C"].live,
                 hsts=HSTS_C),
            dict(hosts=["d.test"], certificates=[lineages["D"].live, lineages["Drsa"].live]),
        ]
        kw = {} if cls.DEFAULT_HOST is None else {"default_host": cls.DEFAULT_HOST}
        if cls.SESSION_TICKETS is not None:
            kw["session_tickets"] = cls.SESSION_TICKETS
        cls.inst = start_instance(sites=sites, tmp_parent=cls.tmp,
                                  request_head=f"{REQUEST_HEAD_S}s", **kw)
        cls.addClassCleanup(stop_instance, cls.inst)
        cls.port = cls.inst.https_port

    # -- helpers --
    def leaf(self, servername, args=()):
        p, chain = served_chain(self.port, servername, args)
        self.assertTrue(chain, f"no certificate served for SNI {servername!r}: {output(p)[-2000:]}"
                               f" {self.diag()}")
        return p, chain

    def assert_serves(self, servername, site):
        """The handshake with this SNI is served site's leaf followed by the intermediate."""
        issued = self.issued[site]
        p, chain = self.leaf(servername)
        fields = cert_fields(chain[0])
        want = cert_fields(issued.cert_pem)
        self.assertEqual(fields["serial"], want["serial"],
                         f"SNI {servername!r}: expected site {site}'s certificate "
                         f"({want['subject']}, SAN {want['san']}), got {fields['subject']}, "
                         f"SAN {fields['san']}")
        self.assertEqual(fields["subject"], want["subject"])
        self.assertEqual(fields["san"], want["san"])
        self.assertEqual(len(chain), 2, f"SNI {servername!r}: expected leaf + intermediate, got "
                                        f"{[cert_fields(c)['subject'] for c in chain]}")
        self.assertEqual(cert_fields(chain[1])["subject"], "CN = ringway test intermediate")
        return p

    def curl_https(self, name, *args, path="/"):
        return curl("-sS", "-i", "--cacert", self.ca.root_pem, "--resolve",
                    f"{name}:{self.port}:127.0.0.1", *args, f"https://{name}:{self.port}{path}")

    def assert_refused(self, p, what):
        self.assertIsNone(established(p), f"{what}: the handshake succeeded: {output(p)[-2500:]}")
        self.assertNotEqual(p.returncode, 0, f"{what}: s_client exited 0: {output(p)[-2500:]}")
        # The client did offer it (the refusal is the server's, not the local OpenSSL's).
        self.assertNotIn("no protocols available", output(p), what)
        self.assertNotIn("no ciphers available", output(p), what)
        self.assertRegex(p.stdout, r"SSL handshake has read \d+ bytes and written [1-9]\d* bytes",
                         f"{what}: no ClientHello went out: {output(p)[-2500:]}")


class TlsHandshake(TlsSites):

    # ---- certificates by SNI ----

    def test_startup_log_counts_sites(self):
        self.assertIn("tls (start): 4 of 4 sites have certificates", self.inst.rw.stderr_text(),
                      self.diag())

    def test_sni_exact_names(self):
        self.assert_serves("a.test", "A")
        self.assert_serves("b.test", "B")
        self.assert_serves("d.test", "D")

    def test_sni_wildcards(self):
        self.assert_serves("www.a.test", "A")
        self.assert_serves("anything.c.test", "C")

    def test_sni_exact_name_beats_wildcard(self):
        self.assert_serves("exact.a.test", "C")

    def test_sni_is_case_insensitive(self):
        self.assert_serves("A.TEST", "A")
        self.assert_serves("Www.A.Test", "A")

    def test_sni_wildcard_covers_one_label_only(self):
        self.assert_serves("x.y.a.test", "B")  # default site
        self.assert_serves("c.test", "B")      # *.c.test does not cover c.test

    def test_unknown_sni_gets_default_site(self):
        self.assert_serves("unknown.test", "B")

    def test_no_sni_gets_default_site(self):
        self.assert_serves(None, "B")

    def test_ecdsa_and_rsa_site_serves_a_verifiable_certificate(self):
        p = s_client(self.port, "d.test", ["-CAfile", self.ca.root_pem, "-verify_return_error",
                                          "-verify_hostname", "d.test", "-brief"])
        self.assertEqual(p.returncode, 0, output(p)[-2500:])
        self.assertIn("Verification: OK", p.stderr)

    def test_chain_verifies_with_s_client(self):
        for name in ("a.test", "www.a.test", "b.test", "x.c.test", "exact.a.test"):
            with self.subTest(name=name):
                p = s_client(self.port, name, ["-CAfile", self.ca.root_pem,
                                               "-verify_return_error", "-verify_hostname", name,
                                               "-brief"])
                self.assertEqual(p.returncode, 0, output(p)[-2500:])
                self.assertIn("Verification: OK", p.stderr)

    # ---- HTTP over TLS with curl ----

    def test_curl_each_name_gets_200_and_its_hsts(self):
        for name, hsts in (("a.test", HSTS_A), ("www.a.test", HSTS_A), ("b.test", None),
                           ("x.c.test", HSTS_C), ("exact.a.test", HSTS_C), ("d.test", None)):
            with self.subTest(name=name):
                p = self.curl_https(name)
                self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
                head, _, body = p.stdout.partition("\n\n")  # text mode: CRLF -> LF
                self.assertRegex(head, r"^HTTP/1\.1 200 ", p.stdout)
                self.assertEqual(body, "ok\n")
                got = re.findall(r"(?im)^strict-transport-security:[ \t]*(.*?)\r?$", head)
                self.assertEqual(got, [hsts] if hsts else [], head)

    def test_curl_negotiates_tls13_and_alpn(self):
        p = self.curl_https("a.test", "-v", "-o", "/dev/null")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("SSL connection using TLSv1.3", p.stderr)
        self.assertRegex(p.stderr, r"ALPN[:,] server accepted (to use )?http/1\.1")

    def test_curl_tls12(self):
        p = self.curl_https("b.test", "--tlsv1.2", "--tls-max", "1.2", "-v", "-o", "/dev/null")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("SSL connection using TLSv1.2 / ECDHE-RSA-", p.stderr)

    def test_head_request(self):
        p = self.curl_https("a.test", "-I")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^HTTP/1\.1 200 ")
        self.assertRegex(p.stdout, r"(?im)^strict-transport-security: " + re.escape(HSTS_A))

    def test_keepalive_two_requests_on_one_connection(self):
        urls = [f"https://a.test:{self.port}/one", f"https://a.test:{self.port}/two"]
        p = curl("-sS", "-v", "--cacert", self.ca.root_pem, "--resolve",
                 f"a.test:{self.port}:127.0.0.1", "-o", "/dev/null", "-o", "/dev/null",
                 "-w", "%{http_code} %{num_connects}\n", *urls)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n"), ["200 1", "200 0", ""], p.stderr[-3000:])
        self.assertEqual(p.stderr.count("SSL connection using"), 1, p.stderr[-3000:])
        self.assertRegex(p.stderr, r"Re-using existing connection")

    # ---- protocol versions, ciphers, groups ----

    def test_tls10_refused(self):
        self.assert_refused(s_client(self.port, "a.test", ["-tls1", "-cipher",
                                                           "DEFAULT@SECLEVEL=0"]), "TLS 1.0")

    def test_tls11_refused(self):
        self.assert_refused(s_client(self.port, "b.test", ["-tls1_1", "-cipher",
                                                           "DEFAULT@SECLEVEL=0"]), "TLS 1.1")

    def test_tls12_and_tls13_accepted(self):
        for flag, proto in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            for name in ("a.test", "b.test"):
                with self.subTest(version=proto, name=name):
                    p = s_client(self.port, name, [flag, "-cipher", "DEFAULT@SECLEVEL=0"])
                    self.assertEqual(established(p), proto, output(p)[-2500:])

    def test_weak_ciphers_refused(self):
        weak = [("b.test", "AES128-SHA"),                 # RSA key exchange, CBC
                ("b.test", "AES128-GCM-SHA256"),          # RSA key exchange (no forward secrecy)
                ("b.test", "ECDHE-RSA-AES128-SHA"),       # CBC
                ("b.test", "ECDHE-RSA-AES256-SHA384"),    # CBC
                ("a.test", "ECDHE-ECDSA-AES128-SHA"),     # CBC
                ("a.test", "ECDHE-ECDSA-AES128-SHA256"),  # CBC
                ("b.test", "DHE-RSA-AES128-GCM-SHA256"),  # finite-field DHE
                ("b.test", "AECDH-AES128-SHA"),           # anonymous
                ("b.test", "NULL-SHA256")]                # no encryption
        for name, cipher in weak:
            with self.subTest(cipher=cipher):
                p = s_client(self.port, name, ["-tls1_2", "-cipher", f"{cipher}@SECLEVEL=0"])
                self.assert_refused(p, f"TLS 1.2 {cipher} to {name}")

    def test_aead_ecdhe_ciphers_accepted(self):
        good = [("a.test", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                ("a.test", "ECDHE-ECDSA-AES256-GCM-SHA384"),
                ("b.test", "ECDHE-RSA-AES128-GCM-SHA256"),
                ("b.test", "ECDHE-RSA-AES256-GCM-SHA384")]
        for name, cipher in good:
            with self.subTest(cipher=cipher):
                p = s_client(self.port, name, ["-tls1_2", "-cipher", cipher])
                self.assertEqual(established(p), "TLSv1.2", output(p)[-2500:])
                self.assertIn(f"Cipher is {cipher}", p.stdout)

    def test_default_tls12_choice_is_ecdhe_aead(self):
        for name in ("a.test", "b.test"):
            with self.subTest(name=name):
                p = s_client(self.port, name, ["-tls1_2", "-cipher", "ALL@SECLEVEL=0"])
                self.assertEqual(established(p), "TLSv1.2", output(p)[-2500:])
                cipher = re.search(r"Cipher is (\S+)", p.stdout).group(1)
                self.assertRegex(cipher,
                                 r"^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$")

    def test_groups(self):
        # TLS 1.2 against the RSA site: there the client's group list also limits the curve
        # of an ECDSA certificate, which would muddle what is being tested.
        for flag, site, name, want in (
                ("-tls1_3", "a.test", "X25519", "Server Temp Key: X25519"),
                ("-tls1_3", "a.test", "P-256", "Server Temp Key: ECDH, prime256v1"),
                ("-tls1_2", "b.test", "X25519", "Server Temp Key: X25519"),
                ("-tls1_2", "b.test", "P-256", "Server Temp Key: ECDH, prime256v1")):
            with self.subTest(version=flag, group=name):
                p = s_client(self.port, site, [flag, "-groups", name])
                self.assertIsNotNone(established(p), output(p)[-2500:])
                self.assertIn(want, p.stdout)
        p = s_client(self.port, "a.test", ["-tls1_3", "-groups", "P-384:P-521:ffdhe2048"])
        self.assertIsNone(established(p), output(p)[-2500:])
        # TLS 1.2 with other groups: test_tls_groups.py

    def test_alpn_http11_negotiated(self):
        for alpn in ("http/1.1", "h2,http/1.1"):
            with self.subTest(alpn=alpn):
                p = s_client_get(self.port, "a.test", ["-alpn", alpn])
                self.assertEqual(established(p), "TLSv1.3", output(p)[-2500:])
                self.assertIn("ALPN protocol: http/1.1", p.stdout)
                self.assertIn("HTTP/1.1 200 OK", p.stdout)

    # ---- session resumption ----

    def resume_pair(self, version_flag, name="a.test", need_session=True):
        sess = os.path.join(self.tmp, f"sess{version_flag}{name}.pem")
        first = s_client_get(self.port, name, [version_flag, "-sess_out", sess])
        self.assertIsNotNone(established(first), output(first)[-2500:])
        self.assertIn("HTTP/1.1 200 OK", first.stdout)
        if not (os.path.isfile(sess) and os.path.getsize(sess) > 0):
            self.assertFalse(need_session, f"no session written: {output(first)[-2500:]}")
            return first, None
        second = s_client_get(self.port, name, [version_flag, "-sess_in", sess])
        self.assertIsNotNone(established(second) or re.search(r"^Reused, ", second.stdout, re.M),
                             output(second)[-2500:])
        self.assertIn("HTTP/1.1 200 OK", second.stdout, output(second)[-2500:])
        return first, second

    def test_tls13_session_resumption(self):
        first, second = self.resume_pair("-tls1_3")
        self.assertRegex(first.stdout, r"(?m)^New, TLSv1\.3")
        self.assertRegex(first.stdout, r"TLS session ticket lifetime hint: [1-9]")
        self.assertRegex(second.stdout, r"(?m)^Reused, TLSv1\.3",
                         f"the ticket was not accepted: {output(second)[-2500:]}")

    def test_tls13_resumption_works_for_rsa_site(self):
        _, second = self.resume_pair("-tls1_3", "b.test")
        self.assertRegex(second.stdout, r"(?m)^Reused, TLSv1\.3", output(second)[-2500:])

    def test_tls12_resumption_attempt_still_connects(self):
        # TLS 1.2 always does a full handshake (wolfSSL 5.5); offering a session must not hurt.
        # (Without a session ID or ticket, s_client has nothing to offer: nothing to check.)
        self.resume_pair("-tls1_2", need_session=False)

    def test_python_tls13_resumption(self):
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "a.test", ctx)
        c.send(request(host="a.test", headers=[("Connection", "close")]))
        self.assertEqual(c.read_response().status, 200)
        c.wait_closed(3)
        session = c.sock.session
        c.close()
        self.assertIsNotNone(session)
        c2 = TlsConn.connect_tls(self.port, "a.test", ctx, session=session)
        self.addCleanup(c2.close)
        self.assertTrue(c2.sock.session_reused, "Python's TLS 1.3 session was not resumed")
        c2.send(request(host="a.test"))
        self.assertEqual(c2.read_response().status, 200)

    # ---- pipelining and framing over TLS ----

    def test_pipelining_over_tls(self):
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "a.test", ctx)
        self.addCleanup(c.close)
        self.assertEqual(c.sock.version(), "TLSv1.3")
        self.assertEqual(c.sock.selected_alpn_protocol(), "http/1.1")
        c.send(request(target="/1", host="a.test") + request(method="HEAD", target="/2",
                                                             host="a.test")
               + request(target="/3", host="a.test", headers=[("Connection", "close")]))
        r1 = c.read_response()
        r2 = c.read_response(head=True)
        r3 = c.read_response()
        for r in (r1, r2, r3):
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.get("Strict-Transport-Security"), HSTS_A, r)
        self.assertEqual(r1.body, b"ok\n")
        self.assertEqual(r3.body, b"ok\n")
        self.assertIn("close", r3.connection_tokens())
        closed, extra, _ = c.wait_closed(3)
        self.assertTrue(closed, "not closed after Connection: close")
        self.assertEqual(extra, b"")

    def test_many_pipelined_requests_over_tls(self):
        n = 200
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "b.test", ctx)
        self.addCleanup(c.close)
        burst = b"".join(request(target=f"/r{i}", host="b.test") for i in range(n))
        c.send(burst)
        for i in range(n):
            r = c.read_response(timeout=10)
            self.assertEqual((r.status, r.body), (200, b"ok\n"), f"response {i}: {r!r}")
        c.send(request(host="b.test"))
        self.assertEqual(c.read_response().status, 200)

    def test_request_split_across_tls_records(self):
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "a.test", ctx)
        self.addCleanup(c.close)
        raw = request(target="/split", host="a.test")
        for i in range(0, len(raw), 7):  # one TLS record per 7 bytes
            c.send(raw[i:i + 7])
            time.sleep(0.005)
        self.assertEqual(c.read_response().status, 200)

    def test_records_split_across_tcp_segments(self):
        ctx = tls_client_context(self.ca.root_pem)
        for chunk in (1, 2, 5, 17, 100, 1000):
            for name in ("a.test", "b.test"):
                with self.subTest(chunk=chunk, name=name):
                    c = BioClient(self.port, name, ctx, chunk)
                    self.addCleanup(c.close)
                    deadline = time.monotonic() + 10
                    c.handshake(deadline)
                    self.assertEqual(c.tls.version(), "TLSv1.3")
                    raw = b"".join(request(target=f"/{i}", host=name) for i in range(3))
                    got = c.request(raw, b"\r\n\r\nok\n", 3, deadline)
                    self.assertEqual(got.count(b"HTTP/1.1 200 OK"), 3, got)

    def test_bad_request_over_tls_gets_400(self):
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "a.test", ctx)
        self.addCleanup(c.close)
        c.send(b"GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 400, r)
        closed, _, _ = c.wait_closed(3)
        self.assertTrue(closed)

    # ---- what is not TLS ----

    def test_plain_http_to_https_port_is_closed_promptly(self):
        c = HttpConn.connect(("127.0.0.1", self.port))
        self.addCleanup(c.close)
        c.send(request(host="a.test"))
        closed, data, elapsed = c.wait_closed(3)
        self.assertTrue(closed, f"a plain HTTP request to the HTTPS port still open after 3 s"
                                f" (got {data!r})")
        self.assertLess(elapsed, 1.5, f"closed only after {elapsed:.2f} s")
        self.assertNotIn(b"HTTP/", data)

    def test_garbage_to_https_port_is_closed_promptly(self):
        c = HttpConn.connect(("127.0.0.1", self.port))
        self.addCleanup(c.close)
        c.send(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00" + os.urandom(64))
        closed, _, elapsed = c.wait_closed(3)
        self.assertTrue(closed)
        self.assertLess(elapsed, 1.5)

    def client_hello(self):
        ctx = ssl.create_default_context()
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(incoming, outgoing, server_hostname="a.test")
        with self.assertRaises(ssl.SSLWantReadError):
            obj.do_handshake()
        return outgoing.read()

    def test_silent_client_closed_by_handshake_timeout(self):
        c = HttpConn.connect(("127.0.0.1", self.port), timeout=REQUEST_HEAD_S + 5)
        self.addCleanup(c.close)
        closed, _, elapsed = c.wait_closed(REQUEST_HEAD_S + 4)
        self.assertTrue(closed, f"a connection that never sent a ClientHello is still open after "
                                f"{REQUEST_HEAD_S + 4} s (request_head = {REQUEST_HEAD_S}s)")
        self.assertGreater(elapsed, REQUEST_HEAD_S - 0.5)

    def test_partial_client_hello_closed_by_handshake_timeout(self):
        hello = self.client_hello()
        c = HttpConn.connect(("127.0.0.1", self.port), timeout=REQUEST_HEAD_S + 5)
        self.addCleanup(c.close)
        c.send(hello[:len(hello) // 2])
        closed, data, elapsed = c.wait_closed(REQUEST_HEAD_S + 4)
        self.assertTrue(closed, f"a half ClientHello is still open after {REQUEST_HEAD_S + 4} s")
        self.assertGreater(elapsed, REQUEST_HEAD_S - 0.5)

    def test_handshake_without_request_closed_by_timeout(self):
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "a.test", ctx, timeout=REQUEST_HEAD_S + 5)
        self.addCleanup(c.close)
        closed, _, elapsed = c.wait_closed(REQUEST_HEAD_S + 4)
        self.assertTrue(closed, f"a TLS connection that sent no request is still open after "
                                f"{REQUEST_HEAD_S + 4} s")

    # ---- port 80 ----

    def test_port80_redirect_points_at_https_port(self):
        c = self.inst.connect()
        self.addCleanup(c.close)
        c.send(request(target="/some/path?q=1", host="a.test"))
        r = c.read_response()
        self.assertEqual(r.status, 301, r)
        loc = r.get("Location")
        self.assertEqual(loc, f"https://a.test:{self.port}/some/path?q=1", r)
        self.assertFalse(r.has("Strict-Transport-Security"), f"HSTS over plain HTTP: {r!r}")
        # ... and the target answers.
        p = self.curl_https("a.test", path="/some/path?q=1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^HTTP/1\.1 200 ")

    def test_port80_still_serves_challenges(self):
        self.inst.put_token("tlsclass-token", "tlsclass-token.thumb")
        c = self.inst.connect()
        self.addCleanup(c.close)
        c.send(request(target="/.well-known/acme-challenge/tlsclass-token", host="a.test"))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"tlsclass-token.thumb"), r)


class TlsDefaultIsFirstSite(TlsSites):
    """Without default_host, the first [[site]] answers clients without SNI or unknown names."""

    DEFAULT_HOST = None

    def test_no_sni_gets_first_site(self):
        self.assert_serves(None, "A")

    def test_unknown_sni_gets_first_site(self):
        self.assert_serves("unknown.test", "A")

    def test_unknown_host_over_tls_routes_to_first_site(self):
        ctx = tls_client_context(self.ca.root_pem)
        c = TlsConn.connect_tls(self.port, "a.test", ctx)
        self.addCleanup(c.close)
        c.send(request(host="unknown.test"))
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.get("Strict-Transport-Security"), HSTS_A, r)


class TlsWithoutTickets(TlsSites):
    """[https] session_tickets = false: no ticket is issued, every handshake is a full one."""

    SESSION_TICKETS = False

    def test_no_ticket_and_no_resumption(self):
        sess = os.path.join(self.tmp, "sess-no-tickets.pem")
        first = s_client_get(self.port, "a.test", ["-tls1_3", "-sess_out", sess])
        self.assertIsNotNone(established(first), output(first)[-2500:])
        self.assertIn("HTTP/1.1 200 OK", first.stdout)
        self.assertNotRegex(first.stdout, r"TLS session ticket lifetime hint: [1-9]")
        if os.path.isfile(sess) and os.path.getsize(sess) > 0:
            second = s_client_get(self.port, "a.test", ["-tls1_3", "-sess_in", sess])
            self.assertIn("HTTP/1.1 200 OK", second.stdout, output(second)[-2500:])
            self.assertRegex(second.stdout, r"(?m)^New, TLSv1\.3", output(second)[-2500:])


if __name__ == "__main__":
    unittest.main(verbosity=2)

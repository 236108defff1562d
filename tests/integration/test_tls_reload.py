#!/usr/bin/env python3
"""Certificate reloads without a restart: certbot-style renewals (new archive/<kind>N.pem,
then the live/ symlinks swapped one by one, as certbot 2.1 does it) picked up by ringway's
directory watch while a client keeps making HTTPS requests; SIGHUP; broken new files that
must leave the old certificate serving with one log line; a first install where the
certificates appear only after ringway started.

Each test starts its own ringway (the tests change its certificates); the CA is shared.
Every client loop and every wait is bounded."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (CertbotLineage, HttpConn, HttpsLoop, TestCA, TlsConn,  # noqa: E402
                             cert_fields, poll, request, s_client, served_chain, start_instance,
                             stop_instance, tls_client_context)

PICKUP_S = 3.0  # a change must be served within this many seconds (ringway: ~0.5-2 s)
SETTLE_S = 2.5  # longer than ringway's longest debounce: after it, no more reloads are due
QUIET_S = 2.0  # after settling, a window in which nothing about tls may be logged

TLS_PROBLEM_RE = re.compile(r"^\S+ (warning|error): tls: .*$", re.M)
TLS_ANY_RE = re.compile(r"^\S+ \w+: tls[ :(].*$", re.M)


class ReloadCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="ringway-tls-reload-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.ca = TestCA(os.path.join(cls.tmp, "ca"))
        cls.ctx = tls_client_context(cls.ca.root_pem)
        cls.count = 0

    def setUp(self):
        type(self).count += 1
        self.dir = os.path.join(self.tmp, f"t{self.count}")
        self.le = os.path.join(self.dir, "letsencrypt")
        os.makedirs(self.le)
        self.inst = None
        self.loops = []

    def tearDown(self):
        for loop in self.loops:
            loop.stop()
        if self.inst is not None:
            self.assertTrue(self.inst.rw.alive(),
                            f"ringway died during this test: {self.inst.rw.diagnostics()}")
            report = self.inst.rw.sanitizer_report()
            self.assertIsNone(report, f"sanitizer report in ringway's stderr:\n{report}")

    # -- helpers --
    def start(self, sites, **kw):
        self.inst = start_instance(sites=sites, tmp_parent=self.dir, **kw)
        self.addCleanup(stop_instance, self.inst)
        self.port = self.inst.https_port
        return self.inst

    def lineage(self, name, issued=None):
        lin = CertbotLineage(self.le, name)
        if issued is not None:
            lin.install(issued)
        return lin

    def issue(self, name, key_type="ec"):
        return self.ca.issue(name, [name, f"*.{name}"], key_type=key_type)

    def serial(self, name):
        """The serial of the leaf a new, verified TLS connection with this SNI is served."""
        c = TlsConn.connect_tls(self.port, name, self.ctx, timeout=3)
        try:
            return c.peer_serial()
        finally:
            c.close()

    def serial_or_none(self, name):
        try:
            return self.serial(name)
        except OSError:
            return None

    def wait_serial(self, name, want, timeout=PICKUP_S):
        """Polls new connections until one is served serial want; returns seconds taken."""
        start = time.monotonic()
        got = poll(lambda: self.serial_or_none(name) == want, timeout, interval=0.05)
        self.assertTrue(got, f"{name}: serial {want} not served within {timeout} s after the "
                             f"change (now {self.serial_or_none(name)}); {self.diag()}")
        return time.monotonic() - start

    def assert_s_client_serves(self, name, issued):
        p, chain = served_chain(self.port, name)
        self.assertTrue(chain, f"{name}: no certificate: {p.stdout[-1500:]} {p.stderr[-800:]}")
        self.assertEqual(cert_fields(chain[0])["serial"], issued.serial.lstrip("0"))
        self.assertEqual(len(chain), 2)

    def loop(self, name, max_requests=3000, max_seconds=20, **kw):
        lp = HttpsLoop(self.port, name, self.ca.root_pem, max_requests=max_requests,
                       max_seconds=max_seconds, **kw)
        self.loops.append(lp)
        lp.start()
        self.assertTrue(lp.wait_for(lambda rs: len(rs) >= 20, 5),
                        f"client loop for {name} made {len(lp.results)} requests in 5 s: "
                        f"{lp.results[-3:]} {self.diag()}")
        return lp

    def finish(self, lp, more=20):
        """Lets the loop make `more` requests after now (bounded), stops it, returns results."""
        n = len(lp.results)
        lp.wait_for(lambda rs: len(rs) >= n + more, 5)
        results = lp.stop()
        self.loops.remove(lp)
        return results

    def assert_no_failures(self, results, what):
        failures = [r for r in results if r[2] is not None]
        if failures:
            https = [ln for ln in self.inst.rw.stderr_text().splitlines()
                     if re.search(r" https[ :]", ln)]
            self.fail(f"{what}: {len(failures)} of {len(results)} requests failed; first: "
                      f"{failures[:3]}; ringway's https lines: {https[-5:]}; {self.diag(1500)}")

    def mark(self):
        return len(self.inst.rw.stderr_text())

    def assert_settles(self, what):
        """Once a change has been handled ringway goes quiet: no reload keeps re-triggering
        itself (e.g. from the watch's own events) and nothing is logged again and again."""
        time.sleep(SETTLE_S)
        mark = self.mark()
        time.sleep(QUIET_S)
        again = TLS_ANY_RE.findall(self.stderr_since(mark))
        self.assertEqual(again, [], f"{SETTLE_S} s after {what} ringway still reloads with "
                                    f"nothing changed ({len(again)} tls lines in {QUIET_S} s)")

    def stderr_since(self, mark):
        return self.inst.rw.stderr_text()[mark:]

    def diag(self, limit=3000):
        return self.inst.rw.diagnostics(limit) if self.inst else ""


class RenewalUnderLoad(ReloadCase):

    def test_certbot_renewal_picked_up_with_zero_failures(self):
        a1, b1 = self.issue("a.test"), self.issue("b.test", key_type="rsa")
        la, _lb = self.lineage("a.test", a1), self.lineage("b.test", b1)
        self.start([dict(hosts=["a.test", "*.a.test"], certificate=la.live),
                    dict(hosts=["b.test"], certificate=_lb.live)])
        self.assertEqual(self.serial("a.test"), a1.serial)
        # An established keepalive connection from before the renewal.
        kept = TlsConn.connect_tls(self.port, "a.test", self.ctx)
        self.addCleanup(kept.close)
        kept.send(request(host="a.test"))
        self.assertEqual(kept.read_response().status, 200)

        loop_a, loop_b = self.loop("a.test"), self.loop("b.test")
        a2 = self.issue("a.test")
        mark = self.mark()
        la.install(a2)
        swapped = time.monotonic()
        self.assertTrue(loop_a.wait_for(lambda rs: any(s == a2.serial for _, s, _ in rs),
                                        PICKUP_S + 1),
                        f"the renewed certificate was not served within {PICKUP_S + 1} s; "
                        f"{self.diag()}")
        results_a, results_b = self.finish(loop_a), self.finish(loop_b)

        self.assert_no_failures(results_a, "a.test during its renewal")
        self.assert_no_failures(results_b, "b.test during a.test's renewal")
        serials = [s for _, s, _ in results_a]
        self.assertEqual(set(serials) - {a1.serial, a2.serial}, set())
        first_new = serials.index(a2.serial)
        self.assertLessEqual(results_a[first_new][0] - swapped, PICKUP_S,
                             "the renewed certificate was served too late")
        self.assertNotIn(a1.serial, serials[first_new:],
                         "the old certificate came back after the new one was served")
        self.assertEqual({s for _, s, _ in results_b}, {b1.serial})
        self.assertGreaterEqual(len(results_a) - first_new, 20)

        # The connection from before still works, and new ones get the new chain.
        kept.send(request(host="a.test"))
        self.assertEqual(kept.read_response().status, 200)
        self.assert_s_client_serves("a.test", a2)
        # A renewal is not a problem to report, even though certbot's symlink swap is not atomic.
        err = self.stderr_since(mark)
        self.assertIn("tls (certificate files changed): 2 of 2 sites have certificates", err)
        self.assertEqual(TLS_PROBLEM_RE.findall(err), [], f"renewal logged problems: {err!r}")
        self.assert_settles("a renewal")

    def test_two_renewals_in_a_row(self):
        a1 = self.issue("a.test")
        la = self.lineage("a.test", a1)
        self.start([dict(hosts=["a.test"], certificate=la.live)])
        lp = self.loop("a.test")
        for _ in range(2):
            nxt = self.issue("a.test")
            la.install(nxt)
            self.wait_serial("a.test", nxt.serial)
        self.assert_no_failures(self.finish(lp), "a.test during two renewals")

    def test_rsa_site_renewal(self):
        b1 = self.issue("b.test", key_type="rsa")
        lb = self.lineage("b.test", b1)
        self.start([dict(hosts=["b.test"], certificate=lb.live)])
        lp = self.loop("b.test")
        b2 = self.issue("b.test", key_type="rsa")
        lb.install(b2)
        self.wait_serial("b.test", b2.serial)
        self.assert_no_failures(self.finish(lp), "b.test during its renewal")


class Sighup(ReloadCase):

    def test_sighup_reloads_a_change_the_watch_cannot_see(self):
        a1 = self.issue("a.test")
        la = self.lineage("a.test", a1)
        # archive/a.test/{fullchain1,privkey1}.pem are hard links to files in a directory
        # ringway does not watch; rewriting them there changes what live/ points at without
        # an inotify event in live/ or archive/ (events go to the directory of the path used).
        hidden = os.path.join(self.dir, "hidden")
        os.makedirs(hidden)
        for kind in ("fullchain", "privkey"):
            os.link(os.path.join(la.archive, f"{kind}1.pem"), os.path.join(hidden, kind))
        self.start([dict(hosts=["a.test"], certificate=la.live)])
        self.assertEqual(self.serial("a.test"), a1.serial)

        a2 = self.issue("a.test")
        for kind, text in (("fullchain", a2.fullchain_pem), ("privkey", a2.key_pem)):
            with open(os.path.join(hidden, kind), "r+") as f:  # same inode: in place
                f.truncate(0)
                f.write(text)
        time.sleep(SETTLE_S)
        self.assertEqual(self.serial("a.test"), a1.serial,
                         "test premise: a change made through hard links elsewhere must not be "
                         "seen by the directory watch")
        lp = self.loop("a.test")
        mark = self.mark()
        self.inst.rw.send_signal(signal.SIGHUP)
        self.wait_serial("a.test", a2.serial, timeout=2.0)
        self.assert_no_failures(self.finish(lp), "a.test during a SIGHUP reload")
        err = self.stderr_since(mark)
        self.assertIn("tls (SIGHUP): 1 of 1 sites have certificates", err)
        self.assertEqual(TLS_PROBLEM_RE.findall(err), [], err)
        self.assert_settles("a SIGHUP reload")

    def test_sighup_without_changes_keeps_serving(self):
        a1 = self.issue("a.test")
        la = self.lineage("a.test", a1)
        self.start([dict(hosts=["a.test"], certificate=la.live)])
        lp = self.loop("a.test")
        mark = self.mark()
        for _ in range(3):
            self.inst.rw.send_signal(signal.SIGHUP)
            time.sleep(0.2)
        results = self.finish(lp)
        self.assert_no_failures(results, "a.test during SIGHUPs")
        self.assertEqual({s for _, s, _ in results}, {a1.serial})
        err = self.stderr_since(mark)
        self.assertEqual(TLS_PROBLEM_RE.findall(err), [], err)
        self.assertTrue(self.inst.rw.alive())
        self.assert_settles("three SIGHUPs")
        # Port 80 unaffected.
        c = self.inst.connect()
        self.addCleanup(c.close)
        c.send(request(host="a.test"))
        self.assertEqual(c.read_response().status, 301)

class BrokenRenewal(ReloadCase):
    """A new set that cannot be used leaves the old one serving, with one clear line."""

    def check_broken(self, make_broken):
        a1 = self.issue("a.test")
        la = self.lineage("a.test", a1)
        b1 = self.issue("b.test")
        lb = self.lineage("b.test", b1)
        self.start([dict(hosts=["a.test", "*.a.test"], certificate=la.live),
                    dict(hosts=["b.test"], certificate=lb.live)])
        lp = self.loop("a.test")
        mark = self.mark()
        make_broken(la, a1)
        self.assertTrue(poll(lambda: TLS_PROBLEM_RE.search(self.stderr_since(mark)), PICKUP_S),
                        f"no tls: line within {PICKUP_S} s after the broken renewal; "
                        f"{self.diag()}")
        results = self.finish(lp)
        self.assert_settles("a broken renewal")
        self.assert_no_failures(results, "a.test after a broken renewal")
        self.assertEqual({s for _, s, _ in results}, {a1.serial},
                         "the old certificate must keep serving")
        self.assert_s_client_serves("a.test", a1)
        self.assertEqual(self.serial("b.test"), b1.serial)
        err = self.stderr_since(mark)
        problems = [m.group(0) for m in TLS_PROBLEM_RE.finditer(err)]
        self.assertEqual(len(problems), 1, f"expected one line about the broken site, got "
                                           f"{len(problems)}: {problems}")
        self.assertIn("a.test", problems[0], "the line must name the site")
        self.assertNotIn("b.test", problems[0])

        # certbot runs again and gets it right: the site recovers by itself.
        a3 = self.issue("a.test")
        la.install(a3)
        self.wait_serial("a.test", a3.serial)
        return problems[0]

    def test_corrupted_fullchain_bad_pem(self):
        def broken(la, a1):
            bad = "-----BEGIN CERTIFICATE-----\nthis is not base64 @@@\n-----END CERTIFICATE-----\n"
            la.install(cert=bad, chain=a1.chain_pem, privkey=self.issue("a.test").key_pem)
        self.check_broken(broken)

    def test_half_written_fullchain(self):
        def broken(la, a1):
            a2 = self.issue("a.test")
            half = a2.fullchain_pem[:len(a2.cert_pem) // 2]
            la.install(a2, fullchain=half)
        self.check_broken(broken)

    def test_empty_fullchain(self):
        def broken(la, a1):
            la.install(self.issue("a.test"), fullchain="")
        self.check_broken(broken)

    def test_key_does_not_match(self):
        def broken(la, a1):
            a2, other = self.issue("a.test"), self.issue("a.test")
            la.install(a2, privkey=other.key_pem)
        line = self.check_broken(broken)
        self.assertRegex(line, r"(?i)match")

    def test_rsa_key_for_ecdsa_certificate(self):
        def broken(la, a1):
            a2, other = self.issue("a.test"), self.issue("a.test", key_type="rsa")
            la.install(a2, privkey=other.key_pem)
        self.check_broken(broken)

    def test_chain_out_of_order(self):
        def broken(la, a1):
            a2 = self.issue("a.test")
            la.install(a2, fullchain=a2.chain_pem + a2.cert_pem)
        self.check_broken(broken)


class FirstInstall(ReloadCase):
    """Before certbot has run: live/<name> does not exist yet."""

    def test_starts_without_certificates_then_enables_the_site(self):
        la = self.lineage("a.test")  # nothing on disk: letsencrypt/ is empty
        self.start([dict(hosts=["a.test"], certificate=la.live)])
        err = self.inst.rw.stderr_text()
        self.assertIn("tls (start): 0 of 1 sites have certificates", err)
        self.assertTrue(any("a.test" in m.group(0) for m in TLS_PROBLEM_RE.finditer(err)), err)

        # Port 80 serves challenges (certbot's webroot) and redirects.
        self.inst.put_token("first-install", "first-install.key")
        c = self.inst.connect()
        self.addCleanup(c.close)
        c.send(request(target="/.well-known/acme-challenge/first-install", host="a.test"))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"first-install.key"), r)

        # HTTPS refuses cleanly: closed at once, no hang, no crash.
        for _ in range(3):
            t0 = time.monotonic()
            p = s_client(self.port, "a.test", ["-brief"], timeout=10)
            self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertNotIn("CONNECTION ESTABLISHED", p.stderr)
            self.assertLess(time.monotonic() - t0, 2.0, "the refusal took too long")
            raw = HttpConn.connect(("127.0.0.1", self.port))
            raw.send(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
            closed, _, elapsed = raw.wait_closed(3)
            raw.close()
            self.assertTrue(closed and elapsed < 1.5, f"not closed at once ({elapsed:.2f} s)")
        self.assertRegex(self.inst.rw.stderr_text(), r"warning: https?: .*certificate")
        self.assertTrue(self.inst.rw.alive())

        # certbot writes the lineage; the site is enabled by itself.
        mark = self.mark()
        a1 = self.issue("a.test")
        la.install(a1)
        took = self.wait_serial("a.test", a1.serial)
        self.assert_s_client_serves("a.test", a1)
        self.assertIn("tls (certificate files changed): 1 of 1 sites have certificates",
                      self.stderr_since(mark))
        lp = self.loop("a.test")
        self.assert_no_failures(self.finish(lp), f"a.test after first install ({took:.2f} s)")
        c.send(request(host="a.test"))  # port 80 still fine on the same connection
        self.assertEqual(c.read_response().status, 301)
        self.assert_settles("the first install")

    def test_missing_site_does_not_stop_the_others(self):
        a1 = self.issue("a.test")
        la = self.lineage("a.test", a1)
        lb = self.lineage("b.test")  # not issued yet
        self.start([dict(hosts=["a.test"], certificate=la.live),
                    dict(hosts=["b.test"], certificate=lb.live)])
        err = self.inst.rw.stderr_text()
        self.assertIn("tls (start): 1 of 2 sites have certificates", err)
        problems = [m.group(0) for m in TLS_PROBLEM_RE.finditer(err)]
        self.assertTrue(problems and all("b.test" in ln for ln in problems), problems)
        self.assertEqual(self.serial("a.test"), a1.serial)
        # b.test has no certificate of its own yet: it gets the default (first loaded) site's.
        p, chain = served_chain(self.port, "b.test")
        self.assertTrue(chain, p.stdout[-1500:])
        self.assertEqual(cert_fields(chain[0])["serial"], a1.serial)

        lp = self.loop("a.test")
        b1 = self.issue("b.test", key_type="rsa")
        lb.install(b1)
        self.wait_serial("b.test", b1.serial)
        self.assert_no_failures(self.finish(lp), "a.test while b.test was enabled")
        self.assertEqual(self.serial("a.test"), a1.serial)
        self.assert_s_client_serves("b.test", b1)

    def test_site_enabled_when_live_dir_is_made_later_step_by_step(self):
        # letsencrypt/ itself does not exist either: the watch must follow each new level.
        shutil.rmtree(self.le)
        la = self.lineage("a.test")
        self.start([dict(hosts=["a.test"], certificate=la.live)])
        os.makedirs(os.path.join(self.le, "accounts"))
        time.sleep(0.3)
        os.makedirs(os.path.join(self.le, "live"))
        time.sleep(0.3)
        a1 = self.issue("a.test")
        la.install(a1)
        self.wait_serial("a.test", a1.serial)


if __name__ == "__main__":
    unittest.main(verbosity=2)

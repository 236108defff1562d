#!/usr/bin/env python3
"""End to end, offline: ringway terminates TLS with the certificates certbot gets from pebble
(Let's Encrypt's test CA), and picks up `certbot renew --force-renewal` by itself while a
client keeps making HTTPS requests.

The whole story of a first install, with no bootstrap config: ringway starts with an [[site]]
whose live/<name> does not exist yet (HTTPS refuses, port 80 answers the HTTP-01 challenges),
certbot --webroot gets the certificate, ringway enables the site by itself; then a renewal.

Recipe: /work/shared/ENV.md, "ACME end to end, offline". Needs pebble (with
pebble-challtestsrv), certbot, openssl: their absence is a failure, not a skip."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_acme_certbot as acme  # noqa: E402  (Helper, pebble's own TLS)
from ringway_process import (HttpsLoop, TlsConn, cert_fields, free_port, poll,  # noqa: E402
                             served_chain, start_instance, stop_instance, tls_client_context)

DOMAIN = "ringway-tls-e2e.test"
PICKUP_S = 3.0


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, **kw)


class TlsCertbot(unittest.TestCase):

    def setUp(self):
        missing = [t for t in ("pebble", "pebble-challtestsrv", "certbot", "openssl")
                   if shutil.which(t) is None]
        if missing:
            self.fail(f"required tools not installed: {', '.join(missing)} "
                      "(apt-get install pebble certbot openssl)")
        self.tmp = tempfile.mkdtemp(prefix="ringway-tls-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.loop = None

    def tearDown(self):
        if self.loop is not None:
            self.loop.stop()

    def helper(self, name, cmd, env=None):
        h = acme.Helper(name, cmd, self.tmp, env)
        self.addCleanup(h.stop)
        return h

    def make_pebble_tls(self):
        return acme.AcmeCertbot.make_pebble_tls(self)

    def certbot(self, *args):
        cb = os.path.join(self.tmp, "certbot")
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["REQUESTS_CA_BUNDLE"] = self.pebble_ca
        cmd = ["certbot", *args, "--non-interactive", "--server",
               f"https://127.0.0.1:{self.acme_port}/dir",
               "--config-dir", os.path.join(cb, "config"), "--work-dir", os.path.join(cb, "work"),
               "--logs-dir", os.path.join(cb, "logs")]
        p = run(cmd, env=env)
        self.assertEqual(p.returncode, 0,
                         f"{' '.join(cmd)} failed\n--- stdout ---\n{p.stdout[-3000:]}\n"
                         f"--- stderr ---\n{p.stderr[-3000:]}\n--- pebble ---\n"
                         f"{self.pebble.output()[-3000:]}\n--- ringway ---\n"
                         f"{self.inst.rw.stderr_text()[-2000:]}")
        return p

    def serial(self, ctx):
        c = TlsConn.connect_tls(self.inst.https_port, DOMAIN, ctx, timeout=3)
        try:
            return c.peer_serial()
        finally:
            c.close()

    def serial_or_none(self, ctx):
        try:
            return self.serial(ctx)
        except OSError:
            return None

    def test_issue_then_renew_under_load(self):
        live = os.path.join(self.tmp, "certbot", "config", "live", DOMAIN)
        self.inst = start_instance(sites=[dict(hosts=[DOMAIN], certificate=live,
                                               hsts="max-age=300")], tmp_parent=self.tmp)
        self.addCleanup(stop_instance, self.inst)
        inst = self.inst
        self.assertIn("tls (start): 0 of 1 sites have certificates", inst.rw.stderr_text())

        self.pebble_ca, cert_pem, key_pem = self.make_pebble_tls()
        self.acme_port, mgmt_port, tls_port = free_port(), free_port(), free_port()
        dns_port, dns_mgmt_port = free_port(udp=True), free_port()
        dns = self.helper("challtestsrv", [
            "pebble-challtestsrv", "-dns01", f"127.0.0.1:{dns_port}", "-http01", "",
            "-https01", "", "-tlsalpn01", "", "-management", f"127.0.0.1:{dns_mgmt_port}",
            "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
        dns.wait_port(dns_mgmt_port)
        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.acme_port}",
            "managementListenAddress": f"127.0.0.1:{mgmt_port}",
            "certificate": cert_pem, "privateKey": key_pem,
            "httpPort": inst.port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        cfg_path = os.path.join(self.tmp, "pebble.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0")
        self.pebble = self.helper("pebble", ["pebble", "-config", cfg_path, "-dnsserver",
                                             f"127.0.0.1:{dns_port}", "-strict=false"], env=env)
        self.pebble.wait_port(self.acme_port)
        self.pebble.wait_port(mgmt_port)

        # 1. Issuance through ringway's port 80; ringway enables the site by itself.
        self.certbot("certonly", "--agree-tos", "--register-unsafely-without-email",
                     "--webroot", "-w", inst.webroot, "-d", DOMAIN)
        issued_at = time.monotonic()
        with open(os.path.join(live, "fullchain.pem")) as f:
            first_leaf = cert_fields(f.read())  # the first PEM block: the leaf

        # The client trusts pebble's root for this run only.
        api = ssl.create_default_context(cafile=self.pebble_ca)
        with urllib.request.urlopen(f"https://127.0.0.1:{mgmt_port}/roots/0", context=api,
                                    timeout=10) as r:
            root = r.read()
        root_path = os.path.join(self.tmp, "pebble-root.pem")
        with open(root_path, "wb") as f:
            f.write(root)
        ctx = tls_client_context(root_path)

        got = poll(lambda: self.serial_or_none(ctx) == first_leaf["serial"], PICKUP_S)
        self.assertTrue(got, f"the issued certificate was not served within {PICKUP_S} s of "
                             f"certbot's exit ({time.monotonic() - issued_at:.1f} s); now "
                             f"{self.serial_or_none(ctx)}; {inst.rw.diagnostics()}")
        p, chain = served_chain(inst.https_port, DOMAIN, ["-CAfile", root_path,
                                                          "-verify_return_error"])
        self.assertIn("Verify return code: 0 (ok)", p.stdout, p.stdout[-2000:] + p.stderr)
        self.assertGreaterEqual(len(chain), 2, "leaf + pebble's intermediate")
        self.assertEqual(cert_fields(chain[0])["san"], [DOMAIN])

        # 2. Renewal while a client keeps making requests (each a new verified handshake).
        self.loop = HttpsLoop(inst.https_port, DOMAIN, root_path, max_requests=5000,
                              max_seconds=40)
        self.loop.start()
        self.assertTrue(self.loop.wait_for(lambda rs: len(rs) >= 20, 5),
                        f"client loop: {self.loop.results[-3:]}")
        self.certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
        renewed_at = time.monotonic()
        with open(os.path.join(live, "fullchain.pem")) as f:
            second_leaf = cert_fields(f.read())
        self.assertNotEqual(second_leaf["serial"], first_leaf["serial"])
        self.assertEqual(os.readlink(os.path.join(live, "fullchain.pem")),
                         os.path.join("..", "..", "archive", DOMAIN, "fullchain2.pem"))
        seen = self.loop.wait_for(lambda rs: any(s == second_leaf["serial"] for _, s, _ in rs),
                                  PICKUP_S)
        self.assertTrue(seen, f"the renewed certificate was not served within {PICKUP_S} s of "
                              f"certbot's exit; {inst.rw.diagnostics()}")
        n = len(self.loop.results)
        self.loop.wait_for(lambda rs: len(rs) >= n + 20, 5)
        results = self.loop.stop()
        self.loop = None

        failures = [r for r in results if r[2] is not None]
        log = "\n".join(ln for ln in inst.rw.stderr_text().splitlines()
                        if "preflight" not in ln)
        when = [(round(t - renewed_at, 3), e) for t, _, e in failures[:3]]
        self.assertEqual(failures, [], f"{len(failures)} of {len(results)} requests failed "
                                       f"during the renewal (times relative to certbot's exit):"
                                       f" {when}\n--- ringway stderr ---\n{log[-4000:]}")
        serials = [s for _, s, _ in results]
        self.assertEqual(set(serials) - {first_leaf["serial"], second_leaf["serial"]}, set())
        first_new = serials.index(second_leaf["serial"])
        self.assertLessEqual(results[first_new][0] - renewed_at, PICKUP_S)
        self.assertNotIn(first_leaf["serial"], serials[first_new:],
                         "the old certificate came back after the new one was served")
        self.assertIn(first_leaf["serial"], serials[:first_new],
                      "the loop should have run across the renewal")
        p, chain = served_chain(inst.https_port, DOMAIN, ["-CAfile", root_path,
                                                          "-verify_return_error"])
        self.assertEqual(cert_fields(chain[0])["serial"], second_leaf["serial"])
        self.assertIn("Verify return code: 0 (ok)", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)

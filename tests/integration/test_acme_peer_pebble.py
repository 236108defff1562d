#!/usr/bin/env python3
"""ACME peer fallback end to end: pebble's validator reaches the host without the token.

Two ringway instances are the two hosts of a round-robin pair, on two loopback addresses
with the same port: host A on 127.0.0.2:P, host B on 127.0.0.3:P. Each names the other as
acme_peer by a DNS name (peer-b.test, peer-a.test), resolved like any upstream through
pebble-challtestsrv, which also tells pebble's validator that the domain is at A only.
certbot --webroot writes the token into B's webroot only, so the validation succeeds only
through A's fallback to B. A token on neither host (certbot writing to a directory no
ringway serves) fails validation with the 404 the validator saw, each validator GET making
exactly one hop: the access logs of both hosts count the same requests, none bounced back.

Recipe: /work/shared/ENV.md, "ACME end to end, offline". Needs pebble, pebble-challtestsrv,
certbot and openssl: their absence is a failure, not a skip."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (HttpConn, Ringway, StartError, free_port, poll,  # noqa: E402
                             read_lines_when, request)
from test_acme_certbot import Helper, make_pebble_tls, run  # noqa: E402
from test_dns_upstream import DnsServer  # noqa: E402

DOMAIN = "peer-e2e.test"
PREFIX = "/.well-known/acme-challenge/"
HOSTS = {"a": "127.0.0.2", "b": "127.0.0.3"}
PEER_NAME = {"a": "peer-b.test", "b": "peer-a.test"}  # whom each host asks for a token


def host_config(address, port, webroot, peer, dns_port, access_log):
    return (f'workers = 1\n[http]\nlisten = ["{address}:{port}"]\n'
            f'acme_webroot = {json.dumps(webroot)}\nacme_peer = "http://{peer}:{port}"\n'
            f'[log]\naccess = {json.dumps(access_log)}\nformat = "json"\n'
            f'[resolver]\nservers = ["127.0.0.1:{dns_port}"]\nvalid = "30s"\n')


class AcmePeerPebble(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        missing = [t for t in ("pebble", "pebble-challtestsrv", "certbot", "openssl")
                   if shutil.which(t) is None]
        if missing:
            raise AssertionError(f"required tools not installed: {', '.join(missing)} "
                                 "(apt-get install pebble certbot openssl)")
        cls.tmp = tempfile.mkdtemp(prefix="ringway-peer-pebble-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.dns = DnsServer(cls.tmp).start()
        cls.addClassCleanup(cls.dns.stop)
        cls.dns.add_a(DOMAIN, HOSTS["a"])  # the validator reaches A only
        cls.dns.add_a("peer-a.test", HOSTS["a"])
        cls.dns.add_a("peer-b.test", HOSTS["b"])
        cls.start_hosts()
        cls.start_pebble()

    @classmethod
    def start_hosts(cls):
        last = None
        for _attempt in range(4):
            cls.port = free_port()  # free on 0.0.0.0, so on 127.0.0.2 and .3 as well
            cls.hosts = {}
            try:
                for name, address in HOSTS.items():
                    cls.hosts[name] = cls.start_host(name, address)
                break
            except StartError as e:
                last = e
                if "in use" not in e.ringway.stderr_text().lower():
                    raise
        else:
            raise last
        # Each host resolved its peer's name before the validator comes.
        for name, host in cls.hosts.items():
            peer = PEER_NAME[name]
            line = f"dns: {peer}:{cls.port} resolved to {HOSTS['b' if name == 'a' else 'a']}:"
            if not poll(lambda: line in host["rw"].stderr_text(), 5):
                raise AssertionError(f"host {name} did not resolve {peer}: "
                                     f"{host['rw'].stderr_text()[-2000:]}")

    @classmethod
    def start_host(cls, name, address):
        directory = tempfile.mkdtemp(prefix=f"host-{name}-", dir=cls.tmp)
        webroot = os.path.join(directory, "webroot")
        os.makedirs(os.path.join(webroot, ".well-known", "acme-challenge"))
        log = os.path.join(directory, "access.log")
        text = host_config(address, cls.port, webroot, PEER_NAME[name], cls.dns.dns_port, log)
        rw = Ringway(directory, text, listen=[f"{address}:{cls.port}"]).start()
        try:
            rw.wait_ready()
        except StartError:
            rw.stop(signal.SIGKILL, timeout=5)
            raise
        cls.addClassCleanup(cls.stop_host, rw)
        return dict(rw=rw, webroot=webroot, log=log, address=address)

    @staticmethod
    def stop_host(rw):
        rc, killed = rw.stop()
        report = rw.sanitizer_report()
        if report:
            raise AssertionError(f"sanitizer report in ringway's stderr:\n{report}")
        if killed or rc != 0:
            raise AssertionError(f"ringway did not stop cleanly on SIGTERM (status {rc}, "
                                 f"killed {killed}): {rw.stderr_text()[-2000:]}")

    @classmethod
    def start_pebble(cls):
        cls.ca_pem, cert_pem, key_pem = make_pebble_tls(cls.tmp)
        cls.acme_port, management_port, tls_port = free_port(), free_port(), free_port()
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{cls.acme_port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "certificate": cert_pem, "privateKey": key_pem,
            "httpPort": cls.port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        config_path = os.path.join(cls.tmp, "pebble.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0")
        cls.pebble = Helper("pebble", ["pebble", "-config", config_path, "-dnsserver",
                                       f"127.0.0.1:{cls.dns.dns_port}", "-strict=false"],
                            cls.tmp, env=env)
        cls.addClassCleanup(cls.pebble.stop)
        cls.pebble.wait_port(cls.acme_port)

    def tearDown(self):
        for name, host in self.hosts.items():
            if not host["rw"].alive():
                self.fail(f"host {name} died: {host['rw'].stderr_text()[-2000:]}")

    # -- helpers --
    def certbot(self, webroot, label):
        """certbot certonly --webroot for DOMAIN with a fresh account and config directory."""
        base = os.path.join(self.tmp, f"certbot-{label}")
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["REQUESTS_CA_BUNDLE"] = self.ca_pem
        cmd = ["certbot", "certonly", "--non-interactive", "--agree-tos",
               "--register-unsafely-without-email", "--server",
               f"https://127.0.0.1:{self.acme_port}/dir", "--webroot", "-w", webroot,
               "-d", DOMAIN, "--config-dir", os.path.join(base, "config"),
               "--work-dir", os.path.join(base, "work"), "--logs-dir", os.path.join(base, "logs")]
        p = run(cmd, timeout=120, env=env)
        context = (f"\n--- certbot stdout ---\n{p.stdout[-2000:]}\n--- certbot stderr ---\n"
                   f"{p.stderr[-2000:]}\n--- pebble ---\n{self.pebble.output()[-2000:]}\n"
                   + "".join(f"--- host {n} ---\n{h['rw'].stderr_text()[-1500:]}\n"
                             for n, h in self.hosts.items()))
        return p, os.path.join(base, "config", "live", DOMAIN), context

    def challenge_entries(self, name, want=None, timeout=3.0):
        """The access log entries of host `name` for challenge paths, each (token, status,
        user agent); waits (bounded) until want(entries) holds when given."""
        def parse(lines):
            out = []
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                uri = entry["request"]["uri"]
                if uri.startswith(PREFIX):
                    agents = entry["request"]["headers"].get("User-Agent", [""])
                    out.append((uri[len(PREFIX):], entry["status"], agents[0]))
            return out
        lines = read_lines_when(self.hosts[name]["log"],
                                lambda ls: want is None or want(parse(ls)), timeout)
        return parse(lines)

    @staticmethod
    def validator(entries):
        return [e for e in entries if "Pebble" in e[2]]

    def wait_for_both_logs(self, count_a):
        """Host B's log catches up with A's validator lines (log lines are written once per
        loop turn); returns (A's validator entries, B's)."""
        a = self.validator(self.challenge_entries("a"))
        b = self.validator(self.challenge_entries(
            "b", lambda es: len(self.validator(es)) >= count_a(a)))
        return a, b

    # -- the tests --
    def test_validation_succeeds_through_the_peer_fallback(self):
        before_a = len(self.validator(self.challenge_entries("a")))
        before_b = len(self.validator(self.challenge_entries("b")))
        p, live, context = self.certbot(self.hosts["b"]["webroot"], "fallback")
        self.assertEqual(p.returncode, 0, f"certbot failed{context}")
        for part in ("fullchain.pem", "privkey.pem"):
            self.assertTrue(os.path.isfile(os.path.join(live, part)), f"{part}{context}")

        a, b = self.wait_for_both_logs(lambda es: len(es) - before_a + before_b)
        a, b = a[before_a:], b[before_b:]
        self.assertTrue(a, f"the validator never reached host A{context}")
        print(f"({len(a)} validator GETs at A, {len(b)} at B)", end=" ", file=sys.stderr)
        # A has no such file: every validator GET it answered came from B, one hop each.
        self.assertEqual([status for _, status, _ in a], [200] * len(a), a)
        self.assertEqual(sorted(e[:2] for e in a), sorted(e[:2] for e in b),
                         f"host B must see exactly the validator's requests, once each{context}")
        self.assertEqual(os.listdir(os.path.join(self.hosts["a"]["webroot"], ".well-known",
                                                 "acme-challenge")), [])

    def test_token_on_neither_host_is_404_in_one_hop(self):
        unserved = tempfile.mkdtemp(prefix="unserved-", dir=self.tmp)
        before_a = len(self.validator(self.challenge_entries("a")))
        before_b = len(self.validator(self.challenge_entries("b")))
        started = time.monotonic()
        p, live, context = self.certbot(unserved, "neither")
        self.assertNotEqual(p.returncode, 0, f"certbot succeeded without a token{context}")
        self.assertIn("404", p.stdout + p.stderr, context)
        self.assertLess(time.monotonic() - started, 60, "validation did not end quickly")

        a, b = self.wait_for_both_logs(lambda es: len(es) - before_a + before_b)
        a, b = a[before_a:], b[before_b:]
        self.assertTrue(a, f"the validator never reached host A{context}")
        self.assertEqual([status for _, status, _ in a], [404] * len(a), a)
        self.assertEqual([status for _, status, _ in b], [404] * len(b), b)
        # No loop: B saw each of A's requests once and sent none back to A (A's lines are
        # the validator's own; a bounce would add lines to both logs).
        self.assertEqual(sorted(e[:2] for e in a), sorted(e[:2] for e in b), context)
        time.sleep(0.5)
        self.assertEqual(len(self.validator(self.challenge_entries("a"))) - before_a, len(a))
        self.assertEqual(len(self.validator(self.challenge_entries("b"))) - before_b, len(b))

    def test_one_request_for_a_missing_token_makes_one_line_on_each_host(self):
        # Exact counts with a client of our own: one request in, one hop, one 404 back.
        token = f"nowhere{time.monotonic_ns()}"
        for first, second in (("a", "b"), ("b", "a")):
            with self.subTest(asked=first):
                conn = HttpConn.connect((HOSTS[first], self.port))
                self.addCleanup(conn.close)
                conn.send(request("GET", PREFIX + token + first, host=DOMAIN,
                                  headers=[("User-Agent", "one-hop-check")]))
                self.assertEqual(conn.read_response().status, 404)
                mine = lambda es: [e for e in es if e[0] == token + first]  # noqa: E731
                seen_second = mine(self.challenge_entries(second, lambda es: mine(es)))
                time.sleep(0.3)  # a bounce would come back within this
                seen_first = mine(self.challenge_entries(first))
                seen_second = mine(self.challenge_entries(second))
                self.assertEqual(len(seen_first), 1, seen_first)
                self.assertEqual(len(seen_second), 1, seen_second)
                self.assertEqual(seen_first[0][1:], (404, "one-hop-check"))
                self.assertEqual(seen_second[0][1:], (404, "one-hop-check"))


if __name__ == "__main__":
    unittest.main(verbosity=2)

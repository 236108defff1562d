#!/usr/bin/env python3
"""End to end, offline: certbot --webroot gets a certificate from pebble (Let's Encrypt's
test CA), whose HTTP-01 validator fetches the challenge from ringway's plain-HTTP listener.

Recipe: /work/shared/ENV.md, "ACME end to end, offline". Needs the Debian packages pebble
(with pebble-challtestsrv), certbot, openssl: their absence is a failure, not a skip."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import free_port, read_lines_when, start_instance, stop_instance  # noqa: E402

DOMAIN = "ringway-e2e.test"
PREFIX = "/.well-known/acme-challenge/"


def run(cmd, timeout=30, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, **kw)


def make_pebble_tls(d):
    """A P-256 CA and a localhost certificate for pebble's own API listeners, in directory d.
    Returns (CA path, certificate path, key path)."""
    ca_key, ca_pem = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, pem = (os.path.join(d, n) for n in ("localhost.key", "localhost.csr",
                                                   "localhost.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n")
    steps = [
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ca_key],
        ["openssl", "req", "-x509", "-new", "-key", ca_key, "-subj", "/CN=ringway test CA",
         "-days", "2", "-out", ca_pem,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
        ["openssl", "req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "2", "-out", pem, "-extfile", ext],
    ]
    for cmd in steps:
        p = run(cmd, cwd=d)
        if p.returncode != 0:
            raise AssertionError(f"{cmd}: {p.stderr}")
    return ca_pem, pem, key


class Helper:
    """A background process with output to a file, stopped by PID."""

    def __init__(self, name, cmd, workdir, env=None):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=workdir, env=env,
                                     start_new_session=True)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_port(self, port, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}: "
                                     f"{self.output()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} did not listen on {port} within "
                                         f"{timeout} s: {self.output()[-3000:]}")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


class AcmeCertbot(unittest.TestCase):

    def setUp(self):
        missing = [t for t in ("pebble", "pebble-challtestsrv", "certbot", "openssl")
                   if shutil.which(t) is None]
        if missing:
            self.fail(f"required tools not installed: {', '.join(missing)} "
                      "(apt-get install pebble certbot openssl)")
        self.tmp = tempfile.mkdtemp(prefix="ringway-acme-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def helper(self, name, cmd, env=None):
        h = Helper(name, cmd, self.tmp, env)
        self.addCleanup(h.stop)
        return h

    def make_pebble_tls(self):
        return make_pebble_tls(self.tmp)

    def test_certbot_webroot_issuance(self):
        # ringway: the HTTP-01 responder under test, JSON access log to a file.
        inst = start_instance(access="file", log_format="json", tmp_parent=self.tmp)
        self.addCleanup(stop_instance, inst)

        ca_pem, cert_pem, key_pem = self.make_pebble_tls()
        acme_port, mgmt_port, tls_port = free_port(), free_port(), free_port()
        dns_port, dns_mgmt_port = free_port(udp=True), free_port()

        dns = self.helper("challtestsrv", [
            "pebble-challtestsrv", "-dns01", f"127.0.0.1:{dns_port}", "-http01", "",
            "-https01", "", "-tlsalpn01", "", "-management", f"127.0.0.1:{dns_mgmt_port}",
            "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
        dns.wait_port(dns_mgmt_port)

        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{acme_port}",
            "managementListenAddress": f"127.0.0.1:{mgmt_port}",
            "certificate": cert_pem, "privateKey": key_pem,
            "httpPort": inst.port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        cfg_path = os.path.join(self.tmp, "pebble.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0")
        pebble = self.helper("pebble", ["pebble", "-config", cfg_path, "-dnsserver",
                                        f"127.0.0.1:{dns_port}", "-strict=false"], env=env)
        pebble.wait_port(acme_port)
        pebble.wait_port(mgmt_port)

        cb = os.path.join(self.tmp, "certbot")
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["REQUESTS_CA_BUNDLE"] = ca_pem
        cmd = ["certbot", "certonly", "--non-interactive", "--agree-tos",
               "--register-unsafely-without-email", "--server",
               f"https://127.0.0.1:{acme_port}/dir", "--webroot", "-w", inst.webroot,
               "-d", DOMAIN, "--config-dir", os.path.join(cb, "config"),
               "--work-dir", os.path.join(cb, "work"), "--logs-dir", os.path.join(cb, "logs")]
        p = run(cmd, timeout=120, env=env)
        context = (f"\n--- certbot stdout ---\n{p.stdout[-3000:]}\n--- certbot stderr ---\n"
                   f"{p.stderr[-3000:]}\n--- pebble ---\n{pebble.output()[-3000:]}\n"
                   f"--- ringway ---\n{inst.rw.stderr_text()[-2000:]}")
        self.assertEqual(p.returncode, 0, f"certbot failed{context}")

        live = os.path.join(cb, "config", "live", DOMAIN)
        fullchain = os.path.join(live, "fullchain.pem")
        self.assertTrue(os.path.isfile(fullchain), f"{fullchain} missing{context}")
        self.assertTrue(os.path.isfile(os.path.join(live, "privkey.pem")))

        # The chain verifies against pebble's root for this run.
        ctx = ssl.create_default_context(cafile=ca_pem)
        with urllib.request.urlopen(f"https://127.0.0.1:{mgmt_port}/roots/0", context=ctx,
                                    timeout=10) as r:
            root = r.read()
        root_path = os.path.join(self.tmp, "pebble-root.pem")
        with open(root_path, "wb") as f:
            f.write(root)
        with open(fullchain) as f:
            certs = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?",
                               f.read(), re.S)
        self.assertGreaterEqual(len(certs), 2, "fullchain should hold leaf + intermediate")
        leaf, inter = os.path.join(self.tmp, "leaf.pem"), os.path.join(self.tmp, "inter.pem")
        with open(leaf, "w") as f:
            f.write(certs[0])
        with open(inter, "w") as f:
            f.write("".join(certs[1:]))
        v = run(["openssl", "verify", "-CAfile", root_path, "-untrusted", inter, leaf])
        self.assertEqual(v.returncode, 0, f"openssl verify: {v.stdout} {v.stderr}")
        self.assertIn(": OK", v.stdout)
        san = run(["openssl", "x509", "-in", leaf, "-noout", "-ext", "subjectAltName"])
        self.assertIn(f"DNS:{DOMAIN}", san.stdout)

        # ringway served the validator's GETs.
        def validator_hits(lines):
            hits = []
            for ln in lines:
                try:
                    e = json.loads(ln)
                except ValueError:
                    continue
                req = e.get("request", {})
                uas = req.get("headers", {}).get("User-Agent", [])
                if any("Pebble" in ua for ua in uas) and req.get("uri", "").startswith(PREFIX):
                    hits.append(e)
            return hits
        lines = read_lines_when(inst.access_log, lambda ls: validator_hits(ls), timeout=3)
        hits = validator_hits(lines)
        self.assertTrue(hits, f"no validator GET in ringway's access log: {lines[-10:]}")
        self.assertTrue(any(h.get("status") == 200 for h in hits), f"{hits}")
        self.assertTrue(all(re.fullmatch(re.escape(DOMAIN) + r"(:\d+)?", h["request"].get("host", ""))
                            for h in hits), f"{hits}")


if __name__ == "__main__":
    unittest.main(verbosity=2)

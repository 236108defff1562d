#!/usr/bin/env python3
"""systemd readiness (Type=notify): with NOTIFY_SOCKET set, the real binary sends READY=1
once its listeners accept, RELOADING=1 then READY=1 around a SIGHUP reload, a STATUS= that
counts the sites with certificates (also after a certificate appears), and STOPPING=1 on
SIGTERM. The test plays the service manager on a datagram socket of its own."""

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (CertbotLineage, Ringway, TestCA, connect_target,  # noqa: E402
                             free_port, make_config, start_unless_port_taken)

WAIT = 5.0  # seconds for one notification


class ServiceManager:
    """The receiving end of NOTIFY_SOCKET, in the abstract namespace as systemd's is."""

    def __init__(self):
        self.address = f"@ringway-it-notify-{os.getpid()}-{time.monotonic_ns()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.address[1:])

    def next(self, timeout=WAIT):
        """The next datagram as a dict of its KEY=VALUE lines (bounded wait)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            raise AssertionError(f"no notification within {timeout} s") from None
        fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
        return fields

    def none_within(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096)
        except socket.timeout:
            return None

    def close(self):
        self.sock.close()


class ServiceNotify(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ringway-it-notify-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.manager = ServiceManager()
        self.addCleanup(self.manager.close)
        self.webroot = os.path.join(self.tmp, "webroot")
        os.makedirs(self.webroot)

    def start(self, sites=None):
        for _attempt in range(4):
            port = free_port()
            listen = [f"127.0.0.1:{port}"]
            extra = {}
            if sites is not None:
                extra = dict(https_listen=[f"127.0.0.1:{free_port()}"], sites=sites)
            text = make_config(listen, self.webroot, **extra)
            env = dict(os.environ, NOTIFY_SOCKET=self.manager.address)
            rw = Ringway(self.tmp, text, listen=listen + extra.get("https_listen", []), env=env)
            if start_unless_port_taken(rw):
                self.addCleanup(rw.stop)
                return rw, port
        self.fail("ports taken on every try")

    def test_ready_reload_stop(self):
        rw, port = self.start()
        ready = self.manager.next()
        self.assertEqual(ready.get("READY"), "1", ready)
        self.assertEqual(ready.get("STATUS"), "serving port 80 (no HTTPS sites configured)")
        # READY means the listeners accept: a connection right away succeeds.
        socket.create_connection(connect_target(f"127.0.0.1:{port}"), timeout=1).close()

        rw.send_signal(signal.SIGHUP)
        reloading = self.manager.next()
        self.assertEqual(reloading.get("RELOADING"), "1", reloading)
        self.assertTrue(reloading.get("MONOTONIC_USEC", "").isdigit(), reloading)
        again = self.manager.next()
        self.assertEqual(again.get("READY"), "1", again)
        self.assertTrue(rw.alive(), rw.diagnostics())

        rw.send_signal(signal.SIGTERM)
        stopping = self.manager.next()
        self.assertEqual(stopping.get("STOPPING"), "1", stopping)
        self.assertEqual(rw.wait(15), 0, rw.diagnostics())
        self.assertIsNone(self.manager.none_within(0.3))

    def test_status_counts_sites_with_certificates(self):
        le = os.path.join(self.tmp, "letsencrypt")
        ca = TestCA(os.path.join(self.tmp, "ca"))
        first = CertbotLineage(le, "a.test")
        first.install(ca.issue("a.test", ["a.test"]))
        second = CertbotLineage(le, "b.test")  # certbot has not run for b.test yet
        os.makedirs(os.path.join(le, "live"), exist_ok=True)
        rw, _ = self.start(sites=[
            dict(hosts=["a.test"], certificate=first.live),
            dict(hosts=["b.test"], certificate=second.live),
        ])
        ready = self.manager.next()
        self.assertEqual(ready.get("READY"), "1", ready)
        self.assertEqual(ready.get("STATUS"),
                         "serving 1 of 2 HTTPS sites (1 without a usable certificate)")

        # A certificate appearing is picked up by the directory watch: a new STATUS only.
        second.install(ca.issue("b.test", ["b.test"]))
        update = self.manager.next(timeout=10)
        self.assertNotIn("RELOADING", update)
        self.assertNotIn("READY", update)
        self.assertEqual(update.get("STATUS"), "serving 2 of 2 HTTPS sites", update)
        self.assertTrue(rw.alive(), rw.diagnostics())


if __name__ == "__main__":
    unittest.main(verbosity=2)

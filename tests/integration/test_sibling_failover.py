#!/usr/bin/env python3
"""Sibling failover: two ringway instances on loopback as the two hosts of a round-robin
pair. Each proxies the site opam.test to its own backend (named_backend.py, which says
who it is) and names the other host as its https fallback, by DNS name (a.test and
b.test, answered 127.0.0.1 by pebble-challtestsrv on loopback) and verified against the
test CA (fallback_ca). Certificates: one root and intermediate made with the openssl
CLI, each host's leaf for opam.test plus its own name, in certbot's layout.

What must hold: with its backend up, a host serves from it; with it stopped (gracefully,
by PID, as a stop-first service update does) while a client loop runs, every request is
answered, through the sibling, over a few pooled TLS connections; a POST's body goes
along; with both backends down the answer is 502 after exactly one hop each way (the
X-Ringway-Hop marker stops the bounce), and a request that already carries the marker is
never forwarded; once the backend is back, the host serves from it again. A sibling
whose certificate does not verify is never sent the request. Every wait is bounded;
every process is stopped by PID."""

import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (CertbotLineage, Ringway, TestCA, TlsConn,  # noqa: E402
                             free_port, poll, read_lines_when, request, require_binary,
                             tls_client_context)
from test_acme_certbot import Helper  # noqa: E402  (a background process stopped by PID)

SITE = "opam.test"
BACKEND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "named_backend.py")
IO = 10.0


def host_config(host, peer, dns_port, root_pem, fallback_ca=None):
    """The TOML of one host: site opam.test proxied to its backend, the peer as fallback."""
    return "\n".join([
        "workers = 2",
        "[http]", f'listen = ["127.0.0.1:{host["http_port"]}"]',
        f'acme_webroot = "{host["webroot"]}"',
        "[https]", f'listen = ["127.0.0.1:{host["https_port"]}"]',
        "[[site]]", f'hosts = ["{SITE}", "{host["name"]}.test"]',
        f'certificate = "{host["live"]}"',
        f'upstream = "http://127.0.0.1:{host["backend_port"]}"',
        f'fallback = "https://{peer["name"]}.test:{peer["https_port"]}"',
        f'fallback_ca = "{fallback_ca or root_pem}"',
        "[resolver]", f'servers = ["127.0.0.1:{dns_port}"]',
        "[timeouts]", 'upstream_connect = "2s"',
        "[log]", f'access = "{host["access_log"]}"', ""])


def fallback_ports(port):
    """Local ports of the connections some process opened to 127.0.0.1:port (any state)."""
    ports = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, remote, state = line.split()[1:4]
            if remote.endswith(f":{port:04X}") and state != "0A":
                ports.add(int(local.split(":")[1], 16))
    return ports


class Client:
    """HTTPS requests to one host as opam.test, over a keepalive connection that is
    replaced every `renew_every` requests (and whenever the server closes it)."""

    def __init__(self, port, ca_pem, renew_every=5):
        self.port, self.ctx, self.renew_every = port, tls_client_context(ca_pem), renew_every
        self.conn, self.used = None, 0

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def send(self, method="GET", target="/", headers=(), body=b""):
        if self.conn is None or self.conn.eof or self.used >= self.renew_every:
            self.close()
            self.conn, self.used = TlsConn.connect_tls(self.port, SITE, self.ctx, timeout=IO), 0
        self.used += 1
        self.conn.send(request(method, target, host=SITE, headers=headers, body=body))
        response = self.conn.read_response(timeout=IO)
        if "close" in response.connection_tokens():
            self.close()
        return response


def backend_of(response):
    return json.loads(response.body)["backend"] if response.status == 200 else None


class ClientLoop:
    """A background client: GETs to one host until stopped (bounded). Each result is
    (monotonic time, backend name or None, error text or None)."""

    def __init__(self, port, ca_pem, max_seconds=40.0):
        self.client = Client(port, ca_pem)
        self.max_seconds = max_seconds
        self.results, self.answers = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        index = 0
        while not self._stop.is_set() and time.monotonic() < deadline:
            index += 1
            try:
                response = self.client.send(target=f"/loop/{index}")
                if response.status != 200:
                    raise AssertionError(f"status {response.status}: {response!r}")
                answer = json.loads(response.body)
                self.answers.append(answer)
                self.results.append((time.monotonic(), answer["backend"], None))
            except Exception as e:  # every failure is counted
                self.client.close()
                self.results.append((time.monotonic(), None, f"{type(e).__name__}: {e}"))
                time.sleep(0.01)
        self.client.close()

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(IO + 5)
        if self._thread.is_alive():
            raise AssertionError("client loop did not stop")
        return self.results

    def count(self, backend, since=0.0):
        return sum(1 for t, name, _ in list(self.results) if name == backend and t >= since)


class SiblingFailover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="ringway-sibling-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.ca = TestCA(os.path.join(cls.tmp, "ca"))
        cls.processes = []
        cls.addClassCleanup(cls.stop_all)

        dns_port, dns_management_port = free_port(udp=True), free_port()
        cls.dns_port = dns_port
        dns = Helper("challtestsrv", [
            "pebble-challtestsrv", "-dns01", f"127.0.0.1:{dns_port}", "-http01", "",
            "-https01", "", "-tlsalpn01", "", "-management", f"127.0.0.1:{dns_management_port}",
            "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""], cls.tmp)
        cls.processes.append(dns)
        dns.wait_port(dns_management_port)

        cls.hosts = {}
        for name in ("a", "b"):
            directory = os.path.join(cls.tmp, name)
            webroot = os.path.join(directory, "webroot")
            os.makedirs(os.path.join(webroot, ".well-known", "acme-challenge"))
            lineage = CertbotLineage(os.path.join(directory, "letsencrypt"), SITE)
            lineage.install(cls.ca.issue(SITE, [SITE, f"{name}.test"]))
            cls.hosts[name] = dict(name=name, dir=directory, webroot=webroot, live=lineage.live,
                                   http_port=free_port(), https_port=free_port(),
                                   backend_port=free_port(), backend=None,
                                   access_log=os.path.join(directory, "access.log"))
        for name, peer in (("a", "b"), ("b", "a")):
            host = cls.hosts[name]
            text = host_config(host, cls.hosts[peer], dns_port, cls.ca.root_pem)
            rw = Ringway(host["dir"], text, listen=[f"127.0.0.1:{host['http_port']}",
                                                    f"127.0.0.1:{host['https_port']}"])
            host["rw"] = rw
            cls.processes.append(rw)
            rw.start().wait_ready()
        cls.start_backend("b")
        # Until a.test and b.test are resolved a fallback has no address: wait for
        # host a (its own backend not started yet) to answer through b.
        cls.start_backend("a", wait_for_fallback=True)

    @classmethod
    def stop_all(cls):
        for process in reversed(cls.processes):
            process.stop()
        for host in cls.hosts.values():
            if host.get("backend") is not None:
                host["backend"].stop()
        problems = []
        for host in cls.hosts.values():
            rw = host.get("rw")
            if rw is None or rw.proc is None:
                continue
            if rw.returncode != 0:
                problems.append(f"ringway {host['name']} exited {rw.returncode}: "
                                f"{rw.stderr_text()[-2000:]}")
            if rw.sanitizer_report():
                problems.append(rw.sanitizer_report())
        if problems:
            raise AssertionError("\n".join(problems))

    @classmethod
    def start_backend(cls, name, wait_for_fallback=False):
        host = cls.hosts[name]
        if wait_for_fallback:
            client = Client(host["https_port"], cls.ca.root_pem)
            try:
                ok = poll(lambda: backend_of(client.send()) == "b", 10, interval=0.2)
            finally:
                client.close()
            if not ok:
                raise AssertionError(f"host {name} never answered through its fallback: "
                                     f"{host['rw'].stderr_text()[-2000:]}")
        backend = Helper(f"backend-{name}", [sys.executable, BACKEND,
                                             str(host["backend_port"]), name], host["dir"])
        host["backend"] = backend
        backend.wait_port(host["backend_port"])

    @classmethod
    def stop_backend(cls, name):
        backend = cls.hosts[name]["backend"]
        if backend is None:
            return
        backend.stop()  # SIGTERM by PID: a graceful stop (named_backend.py), then exit
        if backend.proc.returncode != 0:
            raise AssertionError(f"backend {name} exited {backend.proc.returncode}: "
                                 f"{backend.output()[-2000:]}")
        cls.hosts[name]["backend"] = None

    def backends(self, a, b):
        """Brings the backends to the states asked for (True: running)."""
        for name, up in (("a", a), ("b", b)):
            running = self.hosts[name]["backend"] is not None
            if up and not running:
                self.start_backend(name)
            elif running and not up:
                self.stop_backend(name)

    def client(self, name="a"):
        client = Client(self.hosts[name]["https_port"], self.ca.root_pem)
        self.addCleanup(client.close)
        return client

    def log_lines(self, name, needle, count, timeout=3.0):
        """The access log lines of host name holding needle, once there are `count`
        (bounded wait; log lines are written once per loop turn), then a moment more
        so that a line too many would show up too."""
        lines = read_lines_when(self.hosts[name]["access_log"],
                                lambda ls: sum(needle in line for line in ls) >= count, timeout)
        time.sleep(0.3)
        lines = read_lines_when(self.hosts[name]["access_log"], lambda ls: True, 0)
        return [line for line in lines if needle in line]

    def tearDown(self):
        for host in self.hosts.values():
            rw = host["rw"]
            if not rw.alive():
                self.fail(f"ringway {host['name']} died: {rw.diagnostics()}")
            report = rw.sanitizer_report()
            if report:
                self.fail(f"sanitizer report in ringway {host['name']}'s stderr:\n{report}")

    def test_local_backend_serves_while_up(self):
        self.backends(a=True, b=True)
        client = self.client()
        for index in range(5):
            response = client.send(target=f"/local/{index}")
            self.assertEqual(response.status, 200, repr(response))
            self.assertEqual(response.get("X-Backend"), "a")
            answer = json.loads(response.body)
            self.assertEqual(answer["host"], SITE)
            self.assertEqual(answer["xff"], "127.0.0.1")  # one proxy on the way

    def test_backend_stopped_under_load_zero_failures(self):
        self.backends(a=True, b=True)
        before = fallback_ports(self.hosts["b"]["https_port"])
        loop = ClientLoop(self.hosts["a"]["https_port"], self.ca.root_pem).start()
        try:
            self.assertTrue(poll(lambda: loop.count("a") >= 30, 10),
                            f"a's backend did not serve: {loop.results[-3:]}")
            self.stop_backend("a")
            stopped = time.monotonic()
            self.assertTrue(poll(lambda: loop.count("b", since=stopped) >= 100, 20),
                            f"no answers through b: {loop.results[-3:]}")
        finally:
            results = loop.stop()
        failures = [r for r in results if r[2] is not None]
        unusual = [line for line in self.hosts["a"]["rw"].stderr_text().splitlines()
                   if "Connection refused" not in line]
        self.assertEqual(failures, [], f"{len(failures)} of {len(results)} failed; a's "
                                       f"log but connect refusals: {unusual[-20:]}")
        self.assertEqual([r for r in results if r[0] > stopped and r[1] != "b"], [])
        for answer in loop.answers:
            if answer["backend"] != "b":
                continue
            # Marked by a, and forwarded twice: by a to b, by b to its backend.
            self.assertEqual(answer["hop"], "1", answer)
            self.assertEqual(answer["xff"], "127.0.0.1, 127.0.0.1", answer)
            self.assertEqual(answer["host"], SITE, answer)
        # Pooled TLS connections to b: a few per worker at most, not one per request.
        opened = fallback_ports(self.hosts["b"]["https_port"]) - before
        self.assertGreaterEqual(len(opened), 1)
        self.assertLessEqual(len(opened), 4, f"{len(opened)} connections for 100+ requests")
        self.assertIn("site[0].upstream 127.0.0.1:", self.hosts["a"]["rw"].stderr_text())

    def test_post_bodies_go_through_the_fallback(self):
        self.backends(a=False, b=True)
        client = self.client()
        for size in (0, 1000, 200 * 1024):
            body = os.urandom(size)
            response = client.send("POST", f"/post/{size}",
                                   headers=[("Content-Length", str(size))], body=body)
            self.assertEqual(response.status, 200, repr(response))
            answer = json.loads(response.body)
            self.assertEqual((answer["backend"], answer["length"], answer["sha256"]),
                             ("b", size, hashlib.sha256(body).hexdigest()))
        body = os.urandom(50 * 1024)
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece)
                           for piece in (body[:10000], body[10000:])) + b"0\r\n\r\n"
        response = client.send("POST", "/post/chunked",
                               headers=[("Transfer-Encoding", "chunked")], body=chunked)
        answer = json.loads(response.body)
        self.assertEqual((answer["backend"], answer["length"], answer["sha256"]),
                         ("b", len(body), hashlib.sha256(body).hexdigest()))

    def test_both_backends_down_is_502_in_one_hop(self):
        self.backends(a=False, b=False)
        target = f"/both-down/{uuid.uuid4().hex}"
        started = time.monotonic()
        response = self.client().send(target=target)
        self.assertEqual(response.status, 502, repr(response))
        self.assertLess(time.monotonic() - started, 3)
        # a logged the client's request, b the one a forwarded; nobody sent it back.
        for name in ("a", "b"):
            lines = self.log_lines(name, target, 1)
            self.assertEqual(len(lines), 1, f"host {name}: {lines}")
            self.assertIn('" 502 ', lines[0])

    def test_a_marked_request_is_never_forwarded(self):
        self.backends(a=False, b=True)
        target = f"/marked/{uuid.uuid4().hex}"
        response = self.client().send(target=target, headers=[("X-Ringway-Hop", "1")])
        self.assertEqual(response.status, 502, repr(response))
        self.assertEqual(len(self.log_lines("a", target, 1)), 1)
        self.assertEqual(self.log_lines("b", target, 0, timeout=0), [])

    def test_local_backend_serves_again_once_back(self):
        self.backends(a=False, b=True)
        client = self.client()
        self.assertEqual(backend_of(client.send(target="/while-down")), "b")
        self.backends(a=True, b=True)
        # While failing over, each worker lets one request a second try the local backend
        # again: once a second has passed, the next request on any worker goes there.
        time.sleep(1.1)
        served = [backend_of(client.send(target=f"/back/{index}")) for index in range(20)]
        self.assertEqual(served, ["a"] * 20)
        self.assertIn("site[0].upstream 127.0.0.1:", self.hosts["a"]["rw"].stderr_text())
        self.assertIn("answers again", self.hosts["a"]["rw"].stderr_text())

    def lone_host(self, sibling_port, fallback_ca):
        """A third host whose backend is down and whose fallback is b.test:sibling_port:
        returns the first answer it gives and its log (a first request may find b.test
        not resolved yet, so requests go on until the log shows a TLS attempt)."""
        host = dict(self.hosts["a"], http_port=free_port(), https_port=free_port(),
                    backend_port=free_port(), dir=tempfile.mkdtemp(dir=self.tmp),
                    access_log="off")
        text = host_config(host, dict(name="b", https_port=sibling_port), self.dns_port,
                           self.ca.root_pem, fallback_ca=fallback_ca)
        rw = Ringway(host["dir"], text, listen=[f"127.0.0.1:{host['http_port']}",
                                                f"127.0.0.1:{host['https_port']}"])
        rw.start()
        try:
            rw.wait_ready()
            client = Client(host["https_port"], self.ca.root_pem)
            try:
                tried = poll(lambda: client.send(target="/lone").status == 502 and
                             "TLS: " in rw.stderr_text(), 10, interval=0.2)
                self.assertTrue(tried, rw.stderr_text()[-2000:])
                response = client.send(target=f"/lone/{uuid.uuid4().hex}")
            finally:
                client.close()
        finally:
            rw.stop()
        self.assertEqual(rw.returncode, 0, rw.stderr_text()[-2000:])
        self.assertIsNone(rw.sanitizer_report())
        return response, rw.stderr_text()

    def test_fallback_with_an_untrusted_certificate_is_not_used(self):
        self.backends(a=True, b=True)
        other_ca = TestCA(os.path.join(self.tmp, "other-ca"))
        response, log = self.lone_host(self.hosts["b"]["https_port"], other_ca.root_pem)
        self.assertEqual(response.status, 502, repr(response))
        self.assertRegex(log, r"b\.test:\d+: connect 127\.0\.0\.1:\d+: TLS: ")
        self.assertEqual(self.log_lines("b", "/lone", 0, timeout=0), [])

    def test_fallback_closing_during_the_handshake_is_502(self):
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        listener.settimeout(0.2)
        done = threading.Event()

        def close_every_connection():
            while not done.is_set():
                try:
                    listener.accept()[0].close()
                except OSError:
                    pass

        closer = threading.Thread(target=close_every_connection, daemon=True)
        closer.start()
        try:
            response, log = self.lone_host(listener.getsockname()[1], self.ca.root_pem)
        finally:
            done.set()
            closer.join(5)
        self.assertEqual(response.status, 502, repr(response))
        self.assertIn("TLS: closed during the handshake", log)

if __name__ == "__main__":
    unittest.main(verbosity=2)

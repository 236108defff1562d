"""ACME peer fallback: two ringway instances as the two hosts of a round-robin pair, each
naming the other as acme_peer. A token either host has is served through both; a token
neither has is 404 in one hop (the X-Ringway-Hop marker stops the bounce)."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (HttpConn, Ringway, free_port, request,  # noqa: E402
                             require_binary)

PREFIX = "/.well-known/acme-challenge/"


def host_config(port, webroot, peer_port, access_log):
    return (f'workers = 1\n[http]\nlisten = ["127.0.0.1:{port}"]\n'
            f'acme_webroot = "{webroot}"\nacme_peer = "http://127.0.0.1:{peer_port}"\n'
            f'[log]\naccess = "{access_log}"\n')


class AcmePeer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.hosts = []
        ports = [free_port(), free_port()]
        for index in range(2):
            tmp = tempfile.mkdtemp(prefix="ringway-peer-")
            webroot = os.path.join(tmp, "webroot")
            os.makedirs(os.path.join(webroot, ".well-known", "acme-challenge"))
            log = os.path.join(tmp, "access.log")
            text = host_config(ports[index], webroot, ports[1 - index], log)
            rw = Ringway(tmp, text, listen=[f"127.0.0.1:{ports[index]}"]).start()
            rw.wait_ready()
            cls.hosts.append(dict(rw=rw, port=ports[index], webroot=webroot, log=log))
        cls.put(1, "only-on-b", b"token-b.thumbprint")
        cls.put(0, "on-both", b"token-a.thumbprint")
        cls.put(1, "on-both", b"token-b-other.thumbprint")

    @classmethod
    def tearDownClass(cls):
        for host in cls.hosts:
            host["rw"].stop()
            assert host["rw"].returncode == 0, host["rw"].stderr_text()
            assert not host["rw"].sanitizer_report(), host["rw"].stderr_text()

    @classmethod
    def put(cls, index, token, content):
        path = os.path.join(cls.hosts[index]["webroot"], ".well-known", "acme-challenge", token)
        with open(path, "wb") as f:
            f.write(content)

    def get(self, index, target, headers=()):
        conn = HttpConn.connect(("127.0.0.1", self.hosts[index]["port"]))
        self.addCleanup(conn.close)
        conn.send(request("GET", target, host="opam.example", headers=headers))
        return conn, conn.read_response()

    def log_lines(self, index):
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if os.path.exists(self.hosts[index]["log"]):
                with open(self.hosts[index]["log"]) as f:
                    text = f.read()
                if text:
                    return text
            time.sleep(0.05)
        return ""

    def test_token_on_the_peer_only_is_served_through_this_host(self):
        _, response = self.get(0, PREFIX + "only-on-b")
        self.assertEqual(response.status, 200, repr(response))
        self.assertEqual(response.body, b"token-b.thumbprint")

    def test_local_token_wins_over_the_peer(self):
        _, response = self.get(0, PREFIX + "on-both")
        self.assertEqual(response.body, b"token-a.thumbprint")
        _, response = self.get(1, PREFIX + "on-both")
        self.assertEqual(response.body, b"token-b-other.thumbprint")

    def test_token_on_neither_host_is_404_in_one_hop(self):
        started = time.monotonic()
        _, response = self.get(0, PREFIX + "nowhere")
        self.assertEqual(response.status, 404, repr(response))
        self.assertLess(time.monotonic() - started, 2)
        # Host 1 saw exactly one request for it (from host 0, marked), and sent none back.
        # Log lines are written once per loop turn: wait for both hosts' lines.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not all(
                "/nowhere" in self.log_lines(index) for index in (0, 1)):
            time.sleep(0.05)
        self.assertEqual(self.log_lines(1).count("/nowhere"), 1, self.log_lines(1))
        self.assertEqual(self.log_lines(0).count("/nowhere"), 1, self.log_lines(0))

    def test_a_marked_request_is_not_forwarded(self):
        _, response = self.get(0, PREFIX + "only-on-b", headers=[("X-Ringway-Hop", "1")])
        self.assertEqual(response.status, 404, repr(response))

    def test_keepalive_goes_on_after_a_fallback(self):
        conn, response = self.get(0, PREFIX + "only-on-b")
        self.assertEqual(response.status, 200)
        conn.send(request("GET", "/after", host="opam.example"))
        self.assertEqual(conn.read_response().status, 301)


if __name__ == "__main__":
    unittest.main(verbosity=2)

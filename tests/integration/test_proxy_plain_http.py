"""Plain-HTTP proxying: a site with http = "proxy" has its port-80 requests proxied to its
upstream like HTTPS ones, while ACME challenges are still served first and every other host
is still redirected to HTTPS."""

import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import curl  # noqa: E402
from test_proxy import ECHO_FIELDS, KB, MB, ProxyBase, marker  # noqa: E402


def sha(data):
    return hashlib.sha256(data).hexdigest()


class PlainHttpProxy(ProxyBase):

    @classmethod
    def sites(cls):
        return {
            "h.test": dict(upstream=f"http://127.0.0.1:{cls.nginx.port}", http="proxy"),
            "p.test": dict(upstream=f"http://127.0.0.1:{cls.py.port}", http="proxy",
                           request_body_max=MB),
            "r.test": dict(upstream=f"http://127.0.0.1:{cls.nginx.port}"),  # http = redirect
        }

    def plain(self, name, *args, path="/"):
        return curl("-sS", "--resolve", f"{name}:{self.http_port}:127.0.0.1", *args,
                    f"http://{name}:{self.http_port}{path}", timeout=60)

    def test_get_is_proxied_byte_exact(self):
        for name in ("1k", "100k", "5m"):
            with self.subTest(file=name):
                out = os.path.join(self.tmp, f"plain-{name}")
                p = self.plain("h.test", "-o", out, "-w", "%{http_code}", path=f"/{name}")
                self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
                self.assertEqual(p.stdout, "200")
                with open(out, "rb") as f:
                    self.assertEqual(sha(f.read()), sha(self.nginx.files[name]))

    def test_upstream_sees_plain_forwarding_headers(self):
        p = self.plain("h.test", path="/echo?x=1")
        self.assertEqual(p.returncode, 0, p.stderr)
        e = dict(zip(ECHO_FIELDS, p.stdout.rstrip("\n").split("|")))
        self.assertEqual(e["xfp"], "http")
        self.assertEqual(e["xff"], "127.0.0.1")
        self.assertEqual(e["host"], f"h.test:{self.http_port}")  # the client's Host, as sent
        self.assertEqual(e["uri"], "/echo?x=1")

    def test_post_body_is_proxied(self):
        data = os.urandom(300 * KB)
        path = os.path.join(self.tmp, "plain-post")
        with open(path, "wb") as f:
            f.write(data)
        p = self.plain("p.test", "-H", "Expect:", "--data-binary", f"@{path}", path="/post")
        self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
        got = json.loads(p.stdout)
        self.assertEqual((got["len"], got["sha256"]), (len(data), sha(data)))

    def test_keepalive_requests_share_one_client_connection(self):
        url = f"http://h.test:{self.http_port}/1k"
        each = [arg for _ in range(5) for arg in ("-o", os.devnull, url)]
        p = curl("-sS", "--resolve", f"h.test:{self.http_port}:127.0.0.1",
                 "-w", "%{num_connects} ", *each, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), ["1", "0", "0", "0", "0"])

    def test_other_sites_and_unknown_hosts_are_still_redirected(self):
        for name in ("r.test", "unknown.test"):
            with self.subTest(host=name):
                p = self.plain(name, "-o", os.devnull, "-w", "%{http_code} %{redirect_url}",
                               path="/x?y=1")
                self.assertEqual(p.stdout, f"301 https://{name}:{self.port}/x?y=1", p.stderr)

    def test_challenge_is_served_before_proxying(self):
        token = "plainProxyToken_" + marker()
        directory = os.path.join(self.tmp, "webroot", ".well-known", "acme-challenge")
        with open(os.path.join(directory, token), "w") as f:
            f.write(token + ".thumbprint")
        p = self.plain("h.test", path=f"/.well-known/acme-challenge/{token}")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, token + ".thumbprint")


if __name__ == "__main__":
    unittest.main()

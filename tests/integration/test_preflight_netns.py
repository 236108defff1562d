#!/usr/bin/env python3
"""The preflight and the per-socket tuning in a fresh network namespace.

tcp_keepalive_time and tcp_congestion_control are per network namespace, so a test can
really change them there without touching the machine. When run by meson this file starts
itself again under `unshare -rn` (a new user and network namespace: no root needed, nothing
to clean up: the namespace ends with the process) and the tests below run inside it:

- SysctlsInNamespace: set the keepalive and congestion sysctls and see `ringway check` follow.
- AcceptedSockets: with the namespace's default congestion control set to reno, ringway's
  accepted sockets must still say bbr and carry the configured keepalive; checked from the
  kernel's side with `ss -tieo` and with getsockopt on ringway's own descriptor (pidfd_getfd).
- ProxiedSockets: an HTTPS site proxies to a Python http.server backend on loopback in the
  namespace; during a kept-alive request both of ringway's sockets of the exchange (the
  accepted client side and its upstream connection to the backend) must say bbr and carry
  the configured keepalive (getsockopt on borrowed descriptors, and `ss`), while the test
  client's and the backend's own sockets show the namespace's defaults (reno, no keepalive).
"""

import ctypes
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import BINARY, Ringway, free_port, poll, require_binary  # noqa: E402

INSIDE = "RINGWAY_TEST_NETNS"  # set in the environment of the copy running in the namespace
NAMESPACE_TIMEOUT = 100  # seconds for the whole run inside the namespace
SYSCTL_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "sysctl"))
REFUSED = 3


def sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def read_sysctl(key):
    with open(sysctl_path(key)) as f:
        return f.read().strip()


def write_sysctl(key, value):
    with open(sysctl_path(key), "w") as f:
        f.write(f"{value}\n")
    assert read_sysctl(key) == str(value), key


def cli(*args, timeout=20):
    require_binary()
    return subprocess.run([BINARY, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def config_text(listen, tcp="", checks=None):
    text = (f'workers = 1\n\n[http]\nlisten = {json.dumps(listen)}\nacme_webroot = "/tmp"\n\n'
            f'[log]\naccess = "off"\n\n[tcp]\n{tcp}\n'
            f'[preflight]\nsysctl_dir = "{SYSCTL_DIR}"\n')
    if checks:
        text += "[preflight.checks]\n" + "".join(f'{k} = "{v}"\n' for k, v in checks.items())
    return text


class NamespaceCase(unittest.TestCase):
    def setUp(self):
        if os.environ.get(INSIDE) != "1":
            self.skipTest("runs only inside the network namespace this file creates")
        require_binary(self)
        self.tmp = tempfile.mkdtemp(prefix="ringway-netns-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.count = 0
        # Every test starts from the namespace's fresh state, whatever an earlier one set.
        saved = {key: read_sysctl(key) for key in (
            "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_congestion_control")}
        self.addCleanup(lambda: [write_sysctl(k, v) for k, v in saved.items()])

    def write(self, text):
        self.count += 1
        path = os.path.join(self.tmp, f"c{self.count}.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def check_rows(self, path, expect_status=None):
        p = cli("check", "--config", path, "--format", "json")
        report = json.loads(p.stdout)
        if expect_status is not None:
            self.assertEqual(p.returncode, expect_status, p.stdout + p.stderr)
        return {row["subject"]: row for row in report["checks"]}, p


class SysctlsInNamespace(NamespaceCase):
    def test_keepalive_sysctls_follow_the_namespace(self):
        path = self.write(config_text(["127.0.0.1:18080"]))
        fresh = read_sysctl("net.ipv4.tcp_keepalive_time")
        rows, _ = self.check_rows(path, 0)
        row = rows["net.ipv4.tcp_keepalive_time"]
        self.assertEqual((row["verdict"], row["expected"], row["actual"]), ("differs", "60", fresh))
        self.assertEqual(row["fix"], f"sysctl -p {SYSCTL_DIR}/02-keepalive.conf")

        write_sysctl("net.ipv4.tcp_keepalive_time", 60)
        rows, _ = self.check_rows(path, 0)
        self.assertEqual((rows["net.ipv4.tcp_keepalive_time"]["verdict"],
                          rows["net.ipv4.tcp_keepalive_time"]["actual"]), ("ok", "60"))
        self.assertEqual(rows["net.ipv4.tcp_keepalive_intvl"]["verdict"], "differs")

        write_sysctl("net.ipv4.tcp_keepalive_intvl", 10)
        write_sysctl("net.ipv4.tcp_keepalive_probes", 6)
        rows, _ = self.check_rows(path, 0)
        for key in ("time", "intvl", "probes"):
            self.assertEqual(rows[f"net.ipv4.tcp_keepalive_{key}"]["verdict"], "ok", key)

    def test_congestion_control_follows_the_namespace(self):
        path = self.write(config_text(["127.0.0.1:18080"]))
        # A namespace other than the initial one may only choose from the allowed
        # algorithms (tcp_allowed_congestion_control): reno and bbr are.
        write_sysctl("net.ipv4.tcp_congestion_control", "reno")
        rows, _ = self.check_rows(path, 0)
        row = rows["net.ipv4.tcp_congestion_control"]
        self.assertEqual((row["check"], row["verdict"], row["expected"], row["actual"]),
                         ("bbr", "differs", "bbr", "reno"))
        write_sysctl("net.ipv4.tcp_congestion_control", "bbr")
        rows, _ = self.check_rows(path, 0)
        self.assertEqual(rows["net.ipv4.tcp_congestion_control"]["verdict"], "ok")

    def test_default_qdisc_is_not_in_a_namespace(self):
        self.assertFalse(os.path.exists(sysctl_path("net.core.default_qdisc")))
        rows, _ = self.check_rows(self.write(config_text(["127.0.0.1:18080"])), 0)
        row = rows["net.core.default_qdisc"]
        self.assertEqual(row["verdict"], "unavailable", row)
        self.assertEqual(row["actual"], "")
        self.assertIn("not in this network namespace", row["reason"])
        # The only interface here is loopback, and loopback needs no fq.
        self.assertEqual(rows["qdisc on lo"]["verdict"], "ok")
        self.assertFalse([s for s in rows if s.startswith("qdisc on ") and s != "qdisc on lo"])

    def test_enforced_keepalive_refuses_until_it_is_set(self):
        port = free_port()
        path = self.write(config_text([f"127.0.0.1:{port}"], checks={"keepalive": "enforce"}))
        write_sysctl("net.ipv4.tcp_keepalive_time", 7200)
        rows, _ = self.check_rows(path, REFUSED)
        self.assertTrue(rows["net.ipv4.tcp_keepalive_time"]["refuses"])
        rw = Ringway(self.tmp, args=["run", "--config", path])
        rw.start()
        rc = rw.wait(10)
        if rc is None:
            rw.stop(signal.SIGKILL, timeout=5)
            self.fail("run kept running with an enforced check failing")
        rw.stop()
        self.assertEqual(rc, REFUSED, rw.stderr_text())
        enforced = [ln for ln in rw.stderr_text().splitlines() if ln.endswith("[enforced]")]
        self.assertEqual(len(enforced), 3, rw.stderr_text())  # time, intvl, probes
        self.assertIn("preflight: keepalive: net.ipv4.tcp_keepalive_time: differs: expected 60, "
                      "actual 7200", enforced[0])

        for key, value in (("time", 60), ("intvl", 10), ("probes", 6)):
            write_sysctl(f"net.ipv4.tcp_keepalive_{key}", value)
        self.check_rows(path, 0)
        rw = Ringway(self.tmp, args=["run", "--config", path], listen=[f"127.0.0.1:{port}"])
        rw.start()
        self.addCleanup(rw.stop, signal.SIGKILL, 5)
        rw.wait_ready()
        rc, killed = rw.stop(signal.SIGTERM, timeout=12)
        self.assertEqual((rc, killed), (0, False), rw.stderr_text())


# --- reading options back from ringway's accepted sockets ---

SYS_PIDFD_OPEN = 434
SYS_PIDFD_GETFD = 438
LIBC = ctypes.CDLL(None, use_errno=True)


def duplicate_from(pid, target_fd):
    """A descriptor of our own for ringway's `target_fd` (pidfd_getfd, Linux 5.6)."""
    pidfd = LIBC.syscall(SYS_PIDFD_OPEN, pid, 0)
    if pidfd < 0:
        raise OSError(ctypes.get_errno(), "pidfd_open")
    try:
        fd = LIBC.syscall(SYS_PIDFD_GETFD, pidfd, target_fd, 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
        return fd
    finally:
        os.close(pidfd)


def ringway_socket_for(pid, client):
    """ringway's accepted socket whose peer is `client`, as a socket object of ours, or None
    when ringway holds none in its descriptor table (e.g. io_uring fixed descriptors)."""
    return ringway_socket_between(pid, peer=client.getsockname()[:2])


def ringway_socket_between(pid, peer, local=None):
    """ringway's TCP socket connected to `peer` (and bound to `local` when given), borrowed
    into a socket object of ours, or None when ringway's descriptor table has none."""
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=duplicate_from(pid, int(name)))
        except OSError:
            continue
        try:
            if (sock.type == socket.SOCK_STREAM and sock.getpeername()[:2] == tuple(peer)
                    and (local is None or sock.getsockname()[:2] == tuple(local))):
                return sock
        except OSError:
            pass
        sock.close()
    return None


def socket_options(sock):
    """The options ringway sets per socket, read back with getsockopt."""
    get = sock.getsockopt
    return {"SO_KEEPALIVE": get(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "TCP_KEEPIDLE": get(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "TCP_KEEPINTVL": get(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "TCP_KEEPCNT": get(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "TCP_CONGESTION": get(socket.IPPROTO_TCP, socket.TCP_CONGESTION,
                                  16).rstrip(b"\0").decode()}


def ss_lines(port):
    """`ss -tieon` for established sockets on `port`: {"local:port peer:port": text}."""
    out = subprocess.run(["ss", "-tieonH", "state", "established"], capture_output=True,
                         text=True, timeout=10).stdout
    entries, current = {}, None
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            fields = line.split()
            current = f"{fields[2]} {fields[3]}"
            entries[current] = line
        elif current is not None:
            entries[current] += " " + line.strip()
    return {k: v for k, v in entries.items() if re.search(rf":{port}\b", k)}


def ss_address(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class AcceptedSockets(NamespaceCase):
    TCP = ('congestion = "bbr"\nkeepalive_idle = "37s"\nkeepalive_interval = "7s"\n'
           'keepalive_count = 4\n')

    def setUp(self):
        super().setUp()
        if shutil.which("ss") is None:
            self.skipTest("ss (iproute2) is not installed")
        # The namespace's default differs from what ringway asks for, so bbr on an
        # accepted socket can only come from ringway's own setsockopt.
        write_sysctl("net.ipv4.tcp_congestion_control", "reno")
        self.port = free_port(ipv6=socket.has_ipv6)
        self.listen = [f"127.0.0.1:{self.port}"]
        if socket.has_ipv6 and os.path.exists("/proc/sys/net/ipv6"):
            self.listen.append(f"[::1]:{self.port}")
        path = self.write(config_text(self.listen, tcp=self.TCP))
        self.rw = Ringway(self.tmp, args=["run", "--config", path], listen=self.listen)
        self.rw.start()
        self.addCleanup(self.rw.stop, signal.SIGKILL, 5)
        self.rw.wait_ready()

    def connect(self, host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        client = socket.socket(family, socket.SOCK_STREAM)
        self.addCleanup(client.close)
        client.settimeout(5)
        client.connect((host, self.port))
        return client

    def hosts(self):
        return ["127.0.0.1"] + (["::1"] if len(self.listen) > 1 else [])

    def test_ss_shows_bbr_and_the_keepalive_timer_on_the_accepted_side(self):
        for host in self.hosts():
            with self.subTest(host=host):
                client = self.connect(host)
                me = client.getsockname()
                server_key = f"{ss_address(host, self.port)} {ss_address(me[0], me[1])}"
                client_key = f"{ss_address(me[0], me[1])} {ss_address(host, self.port)}"
                lines = poll(lambda: (lambda got: got if server_key in got else None)(
                    ss_lines(self.port)), 3)
                self.assertTrue(lines, f"no accepted socket {server_key} in ss output")
                accepted, mine = lines[server_key], lines[client_key]
                self.assertRegex(accepted, r"\bbbr\b", accepted)
                timer = re.search(r"timer:\(keepalive,(\d+)sec,0\)", accepted)
                self.assertTrue(timer, accepted)
                self.assertTrue(30 <= int(timer.group(1)) <= 37, accepted)
                # The client's socket has the namespace's defaults: no ringway tuning there.
                self.assertRegex(mine, r"\breno\b", mine)
                self.assertNotIn("keepalive", mine)

    def test_getsockopt_on_the_accepted_socket(self):
        for host in self.hosts():
            with self.subTest(host=host):
                client = self.connect(host)
                accepted = poll(lambda: ringway_socket_for(self.rw.pid, client), 3)
                if accepted is None:
                    self.skipTest("ringway holds no descriptor for its accepted sockets "
                                  "(fixed descriptors?): the ss test covers them")
                with accepted:
                    get = accepted.getsockopt
                    self.assertEqual(get(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 1)
                    self.assertEqual(get(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), 37)
                    self.assertEqual(get(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL), 7)
                    self.assertEqual(get(socket.IPPROTO_TCP, socket.TCP_KEEPCNT), 4)
                    name = get(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
                    self.assertEqual(name.rstrip(b"\0"), b"bbr")
                self.assertEqual(client.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 0)
                name = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
                self.assertEqual(name.rstrip(b"\0"), b"reno")

    def test_check_says_the_socket_options_took_effect(self):
        path = self.write(config_text(self.listen, tcp=self.TCP))
        rows, _ = self.check_rows(path, 0)
        expected = {"SO_KEEPALIVE": "1", "TCP_KEEPIDLE": "37", "TCP_KEEPINTVL": "7",
                    "TCP_KEEPCNT": "4", "TCP_CONGESTION": "bbr"}
        for option, value in expected.items():
            row = rows[f"socket {option}"]
            self.assertEqual((row["verdict"], row["actual"]), ("ok", value), row)


# --- both of ringway's sockets of a proxied request ---

class _Backend(http.server.BaseHTTPRequestHandler):
    """GET answers 200 with a Content-Length body and keeps the connection; the server keeps
    each request's connection (the backend's own accepted socket) by path."""
    protocol_version = "HTTP/1.1"
    timeout = 20  # bounds a handler thread waiting for the next request

    def do_GET(self):
        self.server.connections[self.path] = self.connection
        body = b"proxied\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _BackendServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # server_close() must not wait for kept-alive handler threads

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Backend)
        self.connections = {}


class ProxiedSockets(NamespaceCase):
    """An HTTPS site proxying to a backend on loopback: ringway's accepted client socket and
    its upstream socket both carry [tcp] (bbr, keepalive 37/7/4); the client's and the
    backend's own sockets carry the namespace's defaults (reno; keepalive off, 100/20/3)."""

    NAME = "p.test"
    TCP = AcceptedSockets.TCP
    RINGWAY = {"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 37, "TCP_KEEPINTVL": 7, "TCP_KEEPCNT": 4,
               "TCP_CONGESTION": "bbr"}
    NAMESPACE = {"SO_KEEPALIVE": 0, "TCP_KEEPIDLE": 100, "TCP_KEEPINTVL": 20, "TCP_KEEPCNT": 3,
                 "TCP_CONGESTION": "reno"}

    def setUp(self):
        super().setUp()
        for tool in ("openssl", "ss"):
            if shutil.which(tool) is None:
                self.skipTest(f"{tool} is not installed")
        from test_proxy import TlsClient, make_live_dir
        self.TlsClient = TlsClient
        # The namespace's defaults differ from [tcp] in every value, so each value read on
        # ringway's sockets can only come from ringway's own setsockopt.
        write_sysctl("net.ipv4.tcp_congestion_control", "reno")
        write_sysctl("net.ipv4.tcp_keepalive_time", 100)
        write_sysctl("net.ipv4.tcp_keepalive_intvl", 20)
        write_sysctl("net.ipv4.tcp_keepalive_probes", 3)

        self.backend = _BackendServer()
        self.backend_port = self.backend.server_address[1]
        thread = threading.Thread(target=self.backend.serve_forever, kwargs={"poll_interval": 0.1},
                                  daemon=True)
        thread.start()
        self.addCleanup(self.backend.server_close)
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.backend.shutdown)

        live, self.cafile = make_live_dir(self.tmp, self.NAME)
        self.https_port = free_port()
        http_port = free_port()
        listen = [f"127.0.0.1:{http_port}", f"127.0.0.1:{self.https_port}"]
        text = (config_text(listen[:1], tcp=self.TCP)
                .replace("[log]", f"redirect_port = {self.https_port}\n\n[https]\n"
                                  f"listen = {json.dumps(listen[1:])}\n\n[log]", 1)
                + f"\n[[site]]\nhosts = [{json.dumps(self.NAME)}]\n"
                  f"certificate = {json.dumps(live)}\n"
                  f'upstream = "http://127.0.0.1:{self.backend_port}"\n')
        self.rw = Ringway(self.tmp, args=["run", "--config", self.write(text)], listen=listen)
        self.rw.start()
        self.addCleanup(self.rw.stop, signal.SIGKILL, 5)
        self.rw.wait_ready()

    def proxied_request(self, path):
        """A GET through ringway on a kept-alive TLS connection, left open. Returns the client
        and the backend's own socket of that request."""
        client = self.TlsClient.open(self.https_port, self.NAME, self.cafile, timeout=10)
        self.addCleanup(client.close)
        client.send(f"GET {path} HTTP/1.1\r\nHost: {self.NAME}\r\n\r\n".encode())
        resp = client.read_response(timeout=10)
        self.assertEqual((resp.status, resp.body), (200, b"proxied\n"),
                         f"{resp!r} {self.rw.diagnostics()}")
        self.assertNotIn("close", resp.connection_tokens(), resp)
        backend_sock = self.backend.connections.get(path)
        self.assertIsNotNone(backend_sock, "the backend saw no request for " + path)
        return client, backend_sock

    def borrow(self, peer, local, what):
        sock = poll(lambda: ringway_socket_between(self.rw.pid, peer, local), 3)
        self.assertIsNotNone(sock, f"no descriptor in /proc/{self.rw.pid}/fd for ringway's "
                                   f"{what} ({local} -> {peer}) {self.rw.diagnostics()}")
        self.addCleanup(sock.close)
        return sock

    def test_getsockopt_on_both_of_ringways_sockets(self):
        client, backend_sock = self.proxied_request("/getsockopt")
        client_addr = client.sock.getsockname()[:2]
        # ringway's upstream socket is the backend's peer; the backend's address is its peer.
        upstream_local = backend_sock.getpeername()[:2]
        backend_addr = backend_sock.getsockname()[:2]
        self.assertEqual(backend_addr, ("127.0.0.1", self.backend_port))

        accepted = self.borrow(client_addr, ("127.0.0.1", self.https_port),
                               "accepted client socket")
        upstream = self.borrow(backend_addr, upstream_local, "upstream socket")
        self.assertEqual(socket_options(accepted), self.RINGWAY, "ringway's accepted socket")
        self.assertEqual(socket_options(upstream), self.RINGWAY,
                         "ringway's upstream socket to the backend")
        # The other ends of both connections show the namespace's defaults.
        self.assertEqual(socket_options(client.sock), self.NAMESPACE, "the test client's socket")
        self.assertEqual(socket_options(backend_sock), self.NAMESPACE, "the backend's socket")

        # The connection is still kept alive on both sides: a second request on the same
        # client connection reaches the backend on the same (tuned) upstream connection.
        client.send(f"GET /again HTTP/1.1\r\nHost: {self.NAME}\r\n\r\n".encode())
        self.assertEqual(client.read_response(timeout=10).status, 200)
        again = self.backend.connections.get("/again")
        self.assertIsNotNone(again)
        self.assertEqual(again.getpeername()[:2], upstream_local,
                         "the second request did not reuse the upstream connection")
        self.assertEqual(socket_options(upstream), self.RINGWAY)

    def test_ss_shows_bbr_and_keepalive_on_both_of_ringways_sockets(self):
        client, backend_sock = self.proxied_request("/ss")
        me = "%s:%d" % client.sock.getsockname()[:2]
        upstream_local = "%s:%d" % backend_sock.getpeername()[:2]
        backend = f"127.0.0.1:{self.backend_port}"
        ringway = f"127.0.0.1:{self.https_port}"
        keys = {"accepted": f"{ringway} {me}", "client": f"{me} {ringway}",
                "upstream": f"{upstream_local} {backend}", "backend": f"{backend} {upstream_local}"}

        def lines():
            # While data sent just before is unacknowledged (a delayed ACK on loopback) ss
            # shows the retransmit timer, timer:(on,...), instead of the keepalive one.
            got = {**ss_lines(self.https_port), **ss_lines(self.backend_port)}
            ready = all(k in got for k in keys.values()) and all(
                "timer:(keepalive," in got[keys[side]] for side in ("accepted", "upstream"))
            return got if ready else None
        got = poll(lines, 3)
        if not got:
            got = {**ss_lines(self.https_port), **ss_lines(self.backend_port)}
        missing = [k for k in keys.values() if k not in got]
        self.assertFalse(missing, f"{missing} not in ss output {got}")
        for side in ("accepted", "upstream"):
            line = got[keys[side]]
            self.assertRegex(line, r"\bbbr\b", f"ringway's {side} socket: {line}")
            timer = re.search(r"timer:\(keepalive,(\d+)sec,0\)", line)
            self.assertTrue(timer, f"ringway's {side} socket: {line}")
            self.assertTrue(30 <= int(timer.group(1)) <= 37, f"ringway's {side} socket: {line}")
        for side in ("client", "backend"):
            line = got[keys[side]]
            self.assertRegex(line, r"\breno\b", f"the {side}'s socket: {line}")
            self.assertNotIn("keepalive", line, f"the {side}'s socket: {line}")


def run_in_namespace():
    """Runs this file again inside a new user and network namespace; returns its status."""
    if shutil.which("unshare") is None:
        print("SKIP: unshare (util-linux) is not installed")
        return 77
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"SKIP: cannot create a user and network namespace here: {probe.stderr.strip()}")
        return 77
    script = ("ip link set lo up 2>/dev/null || "
              "python3 -c 'import sys; sys.exit(\"cannot bring lo up\")' && "
              'exec python3 "$0" "$@"')
    env = dict(os.environ, **{INSIDE: "1"})
    try:
        done = subprocess.run(["unshare", "-rn", "sh", "-c", script, os.path.abspath(__file__),
                               *sys.argv[1:]], env=env, timeout=NAMESPACE_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"FAIL: the tests inside the namespace took over {NAMESPACE_TIMEOUT} s")
        return 1
    return done.returncode


if __name__ == "__main__":
    if os.environ.get(INSIDE) == "1":
        unittest.main(verbosity=2)
    else:
        sys.exit(run_in_namespace())

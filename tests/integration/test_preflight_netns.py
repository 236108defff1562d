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
"""

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
    want = client.getsockname()[:2]
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=duplicate_from(pid, int(name)))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM and sock.getpeername()[:2] == want:
                return sock
        except OSError:
            pass
        sock.close()
    return None


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

"""Shared helpers for ringway's integration tests.

Everything here is Python 3 standard library. It starts the real binary (path from the
environment variable RINGWAY_BINARY, default /work/main/build/ringway) on free loopback
ports with a config written to a temporary directory, waits for it to listen, talks raw
HTTP/1.1 over sockets so the tests see exact bytes, and always stops what it started:
every wait is bounded, every process is stopped by PID (SIGTERM, bounded wait, SIGKILL).
"""

import errno
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BINARY = os.environ.get("RINGWAY_BINARY", "/work/main/build/ringway")

READY_TIMEOUT = 5.0  # seconds to wait for a started ringway to accept connections
STOP_TIMEOUT = 15.0  # seconds to wait after SIGTERM before SIGKILL (shutdown is <= 10 s)
IO_TIMEOUT = 5.0  # default bound for one socket read in the helpers

# Markers of sanitizer reports in ringway's stderr: a test fails when one shows up.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")


def require_binary(testcase=None):
    """Fails (never skips) with a clear message when the binary under test is missing."""
    if not (os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)):
        msg = (f"ringway binary not found or not executable at {BINARY!r} "
               "(set RINGWAY_BINARY or build build/ringway)")
        if testcase is not None:
            testcase.fail(msg)
        raise AssertionError(msg)


# --------------------------------------------------------------------------------------
# Ports and addresses
# --------------------------------------------------------------------------------------

def _can_bind(family, host, port, sotype=socket.SOCK_STREAM):
    s = socket.socket(family, sotype)
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# Ports handed out by this process: a port is free until its server binds it, so two
# calls before that could otherwise get the same one (pebble and its DNS server did).
_handed_out = set()


def free_port(ipv6=False, udp=False):
    """A TCP port free on 127.0.0.1 (and on ::1 and the wildcards when ipv6=True), never one
    this process was given before.

    With udp=True the port is also free for UDP on 127.0.0.1 (for DNS servers)."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if not _can_bind(socket.AF_INET, "0.0.0.0", port):
            continue
        if ipv6 and not (_can_bind(socket.AF_INET6, "::1", port)
                         and _can_bind(socket.AF_INET6, "::", port)):
            continue
        if udp and not _can_bind(socket.AF_INET, "127.0.0.1", port, socket.SOCK_DGRAM):
            continue
        if port in _handed_out:
            continue
        _handed_out.add(port)
        return port
    raise AssertionError("could not find a free port in 200 tries")


def split_hostport(addr):
    """'127.0.0.1:80' -> ('127.0.0.1', 80); '[::1]:80' -> ('::1', 80)."""
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", addr)
    if m:
        return m.group(1), int(m.group(2))
    host, _, port = addr.rpartition(":")
    return host, int(port)


def connect_target(addr):
    """The address a client dials to reach a listen address (wildcards -> loopback)."""
    host, port = split_hostport(addr)
    if host == "0.0.0.0":
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return host, port


def url_host(host):
    return f"[{host}]" if ":" in host else host


# --------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string of printable ASCII is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


def make_config(listen, webroot, *, workers=1, redirect_port=None, request_head="10s",
                keepalive="75s", shutdown="10s", connections_per_worker=16384,
                request_head_bytes=16384, header_count=64, access="off", log_format="combined",
                https_listen=None, default_host=None, session_tickets=None, sites=None):
    """The TOML text of a complete ringway config, every key from the spec set.

    https_listen (list of addresses) adds an [https] table (with default_host and
    session_tickets when given);
    sites is a list of dicts, one [[site]] each, keys as in the config file (hosts,
    certificate or certificates, status, hsts)."""
    lines = [f"workers = {toml_value(workers)}", "", "[http]",
             f"listen = {toml_value(list(listen))}",
             f"acme_webroot = {toml_value(webroot)}"]
    if redirect_port is not None:
        lines.append(f"redirect_port = {toml_value(redirect_port)}")
    lines += ["", "[timeouts]",
              f"request_head = {toml_value(request_head)}",
              f"keepalive = {toml_value(keepalive)}",
              f"shutdown = {toml_value(shutdown)}",
              "", "[limits]",
              f"connections_per_worker = {toml_value(connections_per_worker)}",
              f"request_head_bytes = {toml_value(request_head_bytes)}",
              f"header_count = {toml_value(header_count)}",
              "", "[log]",
              f"access = {toml_value(access)}",
              f"format = {toml_value(log_format)}", ""]
    if https_listen is not None:
        lines += ["[https]", f"listen = {toml_value(list(https_listen))}"]
        if default_host is not None:
            lines.append(f"default_host = {toml_value(default_host)}")
        if session_tickets is not None:
            lines.append(f"session_tickets = {toml_value(session_tickets)}")
        lines.append("")
    for site in sites or ():
        lines.append("[[site]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in site.items()]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# The process
# --------------------------------------------------------------------------------------

class Ringway:
    """One ringway process with its files in a directory of its own."""

    def __init__(self, workdir, config_text=None, args=None, listen=(), env=None):
        self.workdir = workdir
        self.listen = list(listen)
        self.config_path = os.path.join(workdir, "ringway.toml")
        if config_text is not None:
            with open(self.config_path, "w") as f:
                f.write(config_text)
        self.args = args if args is not None else ["run", "--config", self.config_path]
        self.env = env
        self.stdout_path = os.path.join(workdir, "ringway.stdout")
        self.stderr_path = os.path.join(workdir, "ringway.stderr")
        self.proc = None
        self.returncode = None
        self.signal_time = None  # monotonic time of the last signal sent by stop()/signal()

    # -- lifecycle --
    def start(self):
        require_binary()
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([BINARY] + self.args, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err, cwd=self.workdir,
                                     env=self.env, start_new_session=True)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Polls a TCP connect to every listen address until all accept (bounded)."""
        deadline = time.monotonic() + timeout
        pending = [connect_target(a) for a in self.listen]
        while pending:
            if self.proc.poll() is not None:
                raise StartError(self, f"ringway exited with status {self.proc.returncode} "
                                       "before listening")
            host, port = pending[0]
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(0.5)
            try:
                s.connect((host, port))
                pending.pop(0)
            except OSError:
                if time.monotonic() > deadline:
                    raise StartError(self, f"ringway did not accept on {host}:{port} within "
                                           f"{timeout} s")
                time.sleep(0.02)
            finally:
                s.close()
        return self

    def send_signal(self, sig):
        self.signal_time = time.monotonic()
        if self.alive():
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """Waits (bounded) for the process to exit; returns its status or None."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signals, waits (bounded), then SIGKILLs. Returns (returncode, was_killed)."""
        if self.proc is None:
            return None, False
        killed = False
        if self.proc.poll() is None:
            self.send_signal(sig)
            if self.wait(timeout) is None:
                killed = True
                try:
                    os.kill(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f is not None and not f.closed:
                f.close()
        return self.returncode, killed

    # -- output --
    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stdout_text(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def diagnostics(self, limit=3000):
        err = self.stderr_text()
        st = "running" if self.alive() else f"exited {self.proc.returncode if self.proc else '?'}"
        return f"[ringway {st}; stderr tail: {err[-limit:]!r}]"

    def sanitizer_report(self):
        err = self.stderr_text()
        for m in SANITIZER_MARKERS:
            i = err.find(m)
            if i >= 0:
                return err[max(0, i - 200):i + 3000]
        return None


class StartError(AssertionError):
    def __init__(self, rw, msg):
        super().__init__(f"{msg}; args={rw.args}; stderr={rw.stderr_text()[-3000:]!r}")
        self.ringway = rw


# --------------------------------------------------------------------------------------
# A ringway on free ports, with a webroot, for a test class
# --------------------------------------------------------------------------------------

class Instance:
    """A started ringway: .rw (the process), .port, .listen, .webroot, .challenge_dir,
    .tmp (a private directory), .access_log (path or None)."""

    def __init__(self, rw, port, listen, tmp, webroot, access_log, https_port=None):
        self.rw = rw
        self.port = port
        self.https_port = https_port  # the [https] listener on 127.0.0.1, when configured
        self.listen = listen
        self.tmp = tmp
        self.webroot = webroot
        self.challenge_dir = os.path.join(webroot, ".well-known", "acme-challenge")
        self.access_log = access_log

    @property
    def addr(self):
        return connect_target(self.listen[0])

    def connect(self, addr=None, timeout=IO_TIMEOUT, rcvbuf=None):
        return HttpConn.connect(addr or self.addr, timeout=timeout, rcvbuf=rcvbuf)

    def put_token(self, name, content):
        path = os.path.join(self.challenge_dir, name)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        return path


def start_instance(ipv6=False, listen_fn=None, access=None, tmp_parent=None, sites=None,
                   **cfg):
    """Starts ringway on a fresh free port; retries on a port race. Returns an Instance.

    ipv6: listen on 127.0.0.1:P and [::1]:P. listen_fn(port) -> list overrides the listen
    set. access: None (off), "file" (an absolute path in the temp dir), or a literal value.
    sites: a list of [[site]] dicts (see make_config): adds an [https] listener on a free
    127.0.0.1 port (Instance.https_port, also the default redirect_port) that wait_ready
    polls too. Remaining keyword arguments go to make_config. The caller must stop it
    (stop_instance) — use RingwayCase helpers to register that as a cleanup."""
    require_binary()
    for _attempt in range(4):
        tmp = tempfile.mkdtemp(prefix="ringway-it-", dir=tmp_parent)
        webroot = os.path.join(tmp, "webroot")
        os.makedirs(os.path.join(webroot, ".well-known", "acme-challenge"))
        port = free_port(ipv6=ipv6 or listen_fn is not None)
        if listen_fn is not None:
            listen = listen_fn(port)
        elif ipv6:
            listen = [f"127.0.0.1:{port}", f"[::1]:{port}"]
        else:
            listen = [f"127.0.0.1:{port}"]
        access_log = None
        if access == "file":
            access_log = os.path.join(tmp, "access.log")
            access_value = access_log
        elif access is None:
            access_value = "off"
        else:
            access_value = access
        https_port = None
        site_cfg = {}
        if sites is not None:
            https_port = free_port()
            site_cfg = dict(https_listen=[f"127.0.0.1:{https_port}"], sites=sites)
            if cfg.get("redirect_port") is None:
                site_cfg["redirect_port"] = https_port
        text = make_config(listen, webroot, access=access_value, **{**cfg, **site_cfg})
        rw = Ringway(tmp, text, listen=listen + site_cfg.get("https_listen", []))
        if start_unless_port_taken(rw):
            return Instance(rw, port, listen, tmp, webroot, access_log, https_port)
    raise AssertionError(f"ringway's ports were taken on every try: {rw.stderr_text()}")


def start_unless_port_taken(rw):
    """Starts rw and waits until it listens. False (rw stopped) when a port it was given was
    taken meanwhile, so that the caller tries fresh ones; raises on any other failure."""
    rw.start()
    try:
        rw.wait_ready()
        return True
    except StartError:
        rw.stop(signal.SIGKILL, timeout=5)
        if "in use" not in rw.stderr_text().lower():
            raise
        return False


def stop_instance(inst, check_sanitizers=True):
    rc, killed = inst.rw.stop()
    report = inst.rw.sanitizer_report() if check_sanitizers else None
    shutil.rmtree(inst.tmp, ignore_errors=True)
    if report:
        raise AssertionError(f"sanitizer report in ringway's stderr:\n{report}")
    return rc, killed


class RingwayCase(unittest.TestCase):
    """Base class: one ringway per test class (config from CONFIG), stopped at the end.

    Subclasses set CONFIG = dict(...) (keyword arguments of start_instance). Each test
    checks afterwards that ringway is still running: a crash fails the test that caused it."""

    CONFIG = {}
    inst = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inst = start_instance(**cls.CONFIG)
        cls.addClassCleanup(stop_instance, cls.inst)

    def tearDown(self):
        inst = type(self).inst
        if inst is not None and not inst.rw.alive():
            self.fail(f"ringway died during this test: {inst.rw.diagnostics()}")
        if inst is not None:
            report = inst.rw.sanitizer_report()
            if report:
                self.fail(f"sanitizer report in ringway's stderr:\n{report}")

    # conveniences
    def conn(self, **kw):
        c = self.inst.connect(**kw)
        self.addCleanup(c.close)
        return c

    def roundtrip(self, raw, head=False, timeout=IO_TIMEOUT):
        """Sends raw bytes on a fresh connection, returns the first response."""
        c = self.conn()
        c.send(raw)
        return c.read_response(head=head, timeout=timeout)

    def diag(self):
        return self.inst.rw.diagnostics()


# --------------------------------------------------------------------------------------
# Raw HTTP/1.1 over a socket
# --------------------------------------------------------------------------------------

class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received (str, latin-1)
        self.body = body
        self.raw_head = raw_head

    def all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def get(self, name, default=None):
        vals = self.all(name)
        if len(vals) > 1:
            raise AssertionError(f"header {name} appears {len(vals)} times: {self.raw_head!r}")
        return vals[0] if vals else default

    def has(self, name):
        return bool(self.all(name))

    def connection_tokens(self):
        toks = []
        for v in self.all("connection"):
            toks += [t.strip().lower() for t in v.split(",") if t.strip()]
        return toks

    def __repr__(self):
        b = self.body if len(self.body) <= 200 else self.body[:200] + b"..."
        return f"<Response {self.status} head={self.raw_head!r} body={b!r}>"


class ProtocolError(AssertionError):
    pass


class HttpConn:
    """A client connection with a receive buffer, so pipelined responses parse in order."""

    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = peer
        self.buf = b""
        self.eof = False
        self.reset = False

    @classmethod
    def connect(cls, addr, timeout=IO_TIMEOUT, rcvbuf=None):
        host, port = addr
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return cls(s, addr)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def try_send(self, data):
        """Sends, returning False instead of raising if the peer already closed/reset."""
        try:
            self.send(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return False

    def _fill(self, deadline):
        """Reads more bytes into buf; returns False on EOF/reset. Raises on timeout."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except self.clean_eof_errors():
            data = b""
        except (ConnectionResetError, BrokenPipeError):  # TLS may write while reading
            self.eof = True
            self.reset = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    @staticmethod
    def clean_eof_errors():
        """Exceptions from recv that mean the peer ended the stream (none for plain TCP)."""
        return ()

    def read_response(self, head=False, timeout=IO_TIMEOUT):
        """Reads exactly one response (head + body framed by Content-Length or chunked).

        head=True: the request was HEAD (no body regardless of Content-Length)."""
        deadline = time.monotonic() + timeout
        try:
            while b"\r\n\r\n" not in self.buf:
                if not self._fill(deadline):
                    raise ProtocolError(f"connection closed{' (reset)' if self.reset else ''} "
                                        f"before a complete response head; got {self.buf!r}")
        except socket.timeout:
            raise ProtocolError(f"no complete response head within {timeout} s; got {self.buf!r}")
        i = self.buf.index(b"\r\n\r\n")
        raw_head = self.buf[:i + 4]
        self.buf = self.buf[i + 4:]
        lines = raw_head[:-4].decode("latin-1").split("\r\n")
        m = re.fullmatch(r"(HTTP/\d\.\d) (\d{3})(?: (.*))?", lines[0])
        if not m:
            raise ProtocolError(f"bad status line {lines[0]!r} in {raw_head!r}")
        version, status, reason = m.group(1), int(m.group(2)), m.group(3) or ""
        headers = []
        for line in lines[1:]:
            if ":" not in line or line[:1] in (" ", "\t"):
                raise ProtocolError(f"bad response header line {line!r} in {raw_head!r}")
            k, _, v = line.partition(":")
            if k != k.strip():
                raise ProtocolError(f"whitespace around header name {k!r} in {raw_head!r}")
            headers.append((k, v.strip(" \t")))
        resp = Response(version, status, reason, headers, b"", raw_head)
        if head or status in (204, 304) or 100 <= status < 200:
            return resp
        te = resp.all("transfer-encoding")
        cl = resp.all("content-length")
        try:
            if te:
                resp.body = self._read_chunked(deadline)
            elif cl:
                if len(cl) != 1 or not cl[0].isdigit():
                    raise ProtocolError(f"bad Content-Length in response: {raw_head!r}")
                n = int(cl[0])
                while len(self.buf) < n:
                    if not self._fill(deadline):
                        raise ProtocolError(f"connection closed after {len(self.buf)} of {n} "
                                            f"body bytes; head {raw_head!r}")
                resp.body, self.buf = self.buf[:n], self.buf[n:]
            else:  # body until close
                while self._fill(deadline):
                    pass
                resp.body, self.buf = self.buf, b""
        except socket.timeout:
            raise ProtocolError(f"response body incomplete after {timeout} s; head {raw_head!r},"
                                f" have {len(self.buf)} bytes")
        return resp

    def _read_chunked(self, deadline):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                if not self._fill(deadline):
                    raise ProtocolError("closed inside chunked body")
            line, _, self.buf = self.buf.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n" not in self.buf:
                    if not self._fill(deadline):
                        raise ProtocolError("closed inside chunked trailer")
                # no trailers expected
                self.buf = self.buf[self.buf.index(b"\r\n") + 2:]
                return body
            while len(self.buf) < size + 2:
                if not self._fill(deadline):
                    raise ProtocolError("closed inside chunk")
            body += self.buf[:size]
            self.buf = self.buf[size + 2:]

    def wait_closed(self, timeout=IO_TIMEOUT):
        """Waits (bounded) for EOF or reset. Returns (closed, extra_bytes, elapsed)."""
        start = time.monotonic()
        deadline = start + timeout
        try:
            while self._fill(deadline):
                pass
        except socket.timeout:
            return False, self.buf, time.monotonic() - start
        return True, self.buf, time.monotonic() - start

    def read_all(self, timeout=IO_TIMEOUT):
        """Everything until EOF/reset (bounded). Returns (bytes, closed)."""
        closed, data, _ = self.wait_closed(timeout)
        self.buf = b""
        return data, closed

    def peek_available(self, timeout):
        """True once at least one byte is readable (or EOF), polling with select (bounded)."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r) or bool(self.buf)


def request(method="GET", target="/", host="example.com", version="HTTP/1.1", headers=(),
            body=b""):
    """Builds raw request bytes. host=None omits Host. headers: list of (name, value)."""
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    for k, v in headers:
        lines.append(f"{k}: {v}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return raw + (body if isinstance(body, bytes) else body.encode())


# --------------------------------------------------------------------------------------
# curl
# --------------------------------------------------------------------------------------

def curl(*args, timeout=20):
    """Runs curl (no proxy, no config file), returns CompletedProcess with text output."""
    if shutil.which("curl") is None:
        raise AssertionError("curl is not installed")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run(["curl", "-q", "--noproxy", "*", "--max-time", "10", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, env=env)


def poll(fn, timeout, interval=0.05):
    """Calls fn() until it returns a truthy value or timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


def read_lines_when(path, predicate, timeout=3.0):
    """Polls a file (bounded) until predicate(lines) is true; returns the lines."""
    def attempt():
        try:
            with open(path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return None
        return lines if predicate(lines) else None
    got = poll(attempt, timeout)
    if got is None:
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []
    return got


def is_conn_error(exc):
    return isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.ECONNREFUSED,
                                                      errno.EPIPE, errno.ECONNABORTED)


# --------------------------------------------------------------------------------------
# TLS: certificates in certbot's layout, and clients (openssl s_client, Python ssl)
# --------------------------------------------------------------------------------------

PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", re.S)


def openssl(*args, input=None, timeout=20, cwd=None, check=True):
    """Runs the openssl CLI (text I/O); with check=True a failure raises with its stderr."""
    if shutil.which("openssl") is None:
        raise AssertionError("openssl is not installed")
    p = subprocess.run(["openssl", *args], input=input, capture_output=True, text=True,
                       timeout=timeout, cwd=cwd,
                       stdin=subprocess.DEVNULL if input is None else None)
    if check and p.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


class Issued:
    """A leaf certificate as an ACME CA hands it out: cert, chain (the intermediate), key."""

    def __init__(self, cert_pem, chain_pem, key_pem, serial):
        self.cert_pem = cert_pem
        self.chain_pem = chain_pem
        self.key_pem = key_pem
        self.serial = serial  # upper-case hex without leading zeros, as Python's ssl prints it

    @property
    def fullchain_pem(self):
        return self.cert_pem + self.chain_pem


class TestCA:
    """A P-256 root and intermediate CA made with the openssl CLI in a directory of its own.

    issue() signs leaves with the intermediate; clients trust root_pem (a file path) only,
    so a server must send the intermediate (fullchain) to be verified."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.count = 0
        j = lambda n: os.path.join(directory, n)  # noqa: E731
        self.root_key, self.root_pem = j("root.key"), j("root.pem")
        self.inter_key, self.inter_pem = j("inter.key"), j("inter.pem")
        ca_ext = j("ca.ext")
        with open(ca_ext, "w") as f:
            f.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.root_key)
        openssl("req", "-x509", "-new", "-key", self.root_key, "-subj", "/CN=ringway test root",
                "-days", "3", "-out", self.root_pem,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.inter_key)
        openssl("req", "-new", "-key", self.inter_key, "-subj", "/CN=ringway test intermediate",
                "-out", j("inter.csr"))
        openssl("x509", "-req", "-in", j("inter.csr"), "-CA", self.root_pem, "-CAkey",
                self.root_key, "-set_serial", "0x" + os.urandom(8).hex(), "-days", "3",
                "-extfile", ca_ext, "-out", self.inter_pem)
        with open(self.inter_pem) as f:
            self.chain_pem = f.read()

    def issue(self, common_name, sans, key_type="ec", days=30):
        """A leaf for common_name with DNS SANs sans; key_type "ec" (P-256) or "rsa" (2048)."""
        self.count += 1
        base = os.path.join(self.dir, f"leaf{self.count}")
        ext = base + ".ext"
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in sans) + "\n"
                    "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    "keyUsage=critical,digitalSignature" +
                    (",keyEncipherment" if key_type == "rsa" else "") + "\n")
        newkey = ["-newkey", "rsa:2048"] if key_type == "rsa" else \
            ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        openssl("req", "-new", *newkey, "-nodes", "-keyout", base + ".key",
                "-subj", f"/CN={common_name}", "-out", base + ".csr")
        serial = "7" + os.urandom(8).hex().upper()  # positive, no leading zero
        openssl("x509", "-req", "-in", base + ".csr", "-CA", self.inter_pem, "-CAkey",
                self.inter_key, "-set_serial", "0x" + serial, "-days", str(days),
                "-extfile", ext, "-out", base + ".pem")
        with open(base + ".pem") as f:
            cert = f.read()
        with open(base + ".key") as f:
            key = f.read()
        return Issued(cert, self.chain_pem, key, serial)


class CertbotLineage:
    """config_dir/live/<name>/{cert,chain,fullchain,privkey}.pem as relative symlinks into
    config_dir/archive/<name>/<kind>N.pem, written in certbot 2.1's order (storage.py):
    a new lineage makes the directories and the (dangling) symlinks, then writes the files
    through them; a renewal writes archive/<kind>N+1.pem, then for cert, privkey, chain,
    fullchain in turn unlinks the symlink and makes the new one (not atomic)."""

    KINDS = ("cert", "privkey", "chain", "fullchain")

    def __init__(self, config_dir, name):
        self.name = name
        self.live = os.path.join(config_dir, "live", name)
        self.archive = os.path.join(config_dir, "archive", name)
        self.version = 0

    def install(self, issued=None, *, cert=None, chain=None, fullchain=None, privkey=None):
        """Installs the next version; explicit texts override the parts of issued."""
        texts = {"cert": cert if cert is not None else issued.cert_pem,
                 "chain": chain if chain is not None else issued.chain_pem,
                 "privkey": privkey if privkey is not None else issued.key_pem}
        texts["fullchain"] = fullchain if fullchain is not None else \
            (issued.fullchain_pem if issued is not None and cert is None and chain is None
             else texts["cert"] + texts["chain"])
        self.version += 1
        n = self.version
        rel = os.path.join("..", "..", "archive", self.name)
        if n == 1:
            os.makedirs(self.archive, mode=0o700)
            os.makedirs(self.live)
            for kind in self.KINDS:
                os.symlink(os.path.join(rel, f"{kind}1.pem"),
                           os.path.join(self.live, f"{kind}.pem"))
            for kind in self.KINDS:
                self._write(os.path.join(self.live, f"{kind}.pem"), texts[kind], kind)
            with open(os.path.join(self.live, "README"), "w") as f:
                f.write("This directory contains your keys and certificates.\n")
            return
        for kind in self.KINDS:
            self._write(os.path.join(self.archive, f"{kind}{n}.pem"), texts[kind], kind)
        for kind in self.KINDS:
            link = os.path.join(self.live, f"{kind}.pem")
            os.unlink(link)
            os.symlink(os.path.join(rel, f"{kind}{n}.pem"), link)

    @staticmethod
    def _write(path, text, kind):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600 if kind == "privkey" else 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)


def s_client(port, servername=None, args=(), input="", timeout=15, host="127.0.0.1"):
    """openssl s_client against host:port; servername None sends no SNI. Returns the
    CompletedProcess (stdout + stderr text). input goes to its stdin (then EOF)."""
    sni = ["-noservername"] if servername is None else ["-servername", servername]
    return openssl("s_client", "-connect", f"{host}:{port}", *sni, *args, input=input,
                   timeout=timeout, check=False)


def s_client_get(port, servername, args=(), host_header=None, timeout=15):
    """s_client sending one 'Connection: close' GET and reading until the server closes
    (so TLS 1.3 tickets and the response are both read). Returns the CompletedProcess."""
    req = (f"GET / HTTP/1.1\r\nHost: {host_header or servername or 'a.test'}\r\n"
           "Connection: close\r\n\r\n")
    return s_client(port, servername, ["-ign_eof", *args], input=req, timeout=timeout)


def cert_fields(pem):
    """{'subject': 'CN = a.test', 'serial': 'hex upper', 'san': ['a.test', ...]} of a PEM."""
    p = openssl("x509", "-noout", "-subject", "-serial", "-ext", "subjectAltName",
                "-nameopt", "oneline", input=pem)
    subject = re.search(r"^subject=\s*(.*)$", p.stdout, re.M)
    serial = re.search(r"^serial=\s*([0-9A-Fa-f]+)$", p.stdout, re.M)
    return {"subject": subject.group(1).strip() if subject else None,
            "serial": serial.group(1).upper().lstrip("0") if serial else None,
            "san": re.findall(r"DNS:([^,\s]+)", p.stdout)}


def served_chain(port, servername, args=()):
    """(CompletedProcess, [PEM, ...]) of the chain a handshake with this SNI is served."""
    p = s_client(port, servername, ["-showcerts", *args])
    return p, PEM_CERT_RE.findall(p.stdout)


def tls_client_context(cafile, alpn=("http/1.1",)):
    import ssl
    ctx = ssl.create_default_context(cafile=cafile)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


class TlsConn(HttpConn):
    """HttpConn over a Python ssl socket; EOF with or without close_notify ends reads."""

    @classmethod
    def connect_tls(cls, port, servername, ctx, timeout=IO_TIMEOUT, host="127.0.0.1",
                    session=None):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            s = ctx.wrap_socket(raw, server_hostname=servername, session=session)
        except BaseException:
            raw.close()
            raise
        return cls(s, (host, port))

    @staticmethod
    def clean_eof_errors():
        import ssl
        return (ssl.SSLZeroReturnError, ssl.SSLEOFError)

    def peer_serial(self):
        return self.sock.getpeercert().get("serialNumber", "").upper().lstrip("0")


class HttpsLoop:
    """A background client making HTTPS requests, each on a new connection (full TLS
    handshake, certificate verified against cafile for servername), until max_requests or
    max_seconds or stop(). .results: (monotonic time, serial or None, error or None)."""

    def __init__(self, port, servername, cafile, max_requests=300, max_seconds=10.0,
                 expect_status=200):
        import threading
        self.port, self.servername = port, servername
        self.ctx = tls_client_context(cafile)
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.expect_status = expect_status
        self.results = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _one(self):
        try:
            c = TlsConn.connect_tls(self.port, self.servername, self.ctx, timeout=5)
        except Exception as e:
            raise AssertionError(f"during the handshake: {type(e).__name__}: {e}") from e
        try:
            serial = c.peer_serial()
            c.send(request(host=self.servername, headers=[("Connection", "close")]))
            r = c.read_response(timeout=5)
            if r.status != self.expect_status:
                raise AssertionError(f"status {r.status}: {r!r}")
            return serial
        except Exception as e:
            try:
                state = (f"after a {c.sock.version()} handshake served serial "
                         f"{c.peer_serial()} (resumed: {c.sock.session_reused})")
            except Exception as e2:  # noqa: BLE001 (only for the message)
                state = f"after the handshake ({type(e2).__name__}: {e2})"
            raise AssertionError(f"{state}: {type(e).__name__}: {e}") from e
        finally:
            c.close()

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        while (not self._stop.is_set() and len(self.results) < self.max_requests
               and time.monotonic() < deadline):
            try:
                serial = self._one()
                self.results.append((time.monotonic(), serial, None))
            except Exception as e:  # every failure is recorded and counted
                self.results.append((time.monotonic(), None, f"{type(e).__name__}: {e}"))
                time.sleep(0.01)

    def stop(self, timeout=15):
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("HTTPS client loop did not stop")
        return self.results

    def wait_for(self, predicate, timeout):
        """Polls (bounded) until predicate(results) holds; returns whether it did."""
        return bool(poll(lambda: predicate(list(self.results)), timeout, interval=0.02))

    def failures(self):
        return [r for r in self.results if r[2] is not None]

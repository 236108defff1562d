#!/usr/bin/env python3
"""Reverse proxy: HTTPS sites with an `upstream` relay requests to real backends on loopback.

Backends (all started here, all stopped at the end, every wait bounded):
  nginx     (its own config in a temp dir, 1 worker, `daemon off`, stopped by PID) serves static
            files of 0 B, 1 KB, 100 KB, 5 MB (random bytes) and 100 MB (sparse, zeros), a gzip'd
            (hence chunked) view of them under /chunked/, and /echo, which returns the request
            headers it received; its access log records `$connection $connection_requests`.
  pyback    Python http.server (HTTP/1.1, keepalive) in threads: POST echoes the body's length,
            sha256 and framing; GET /py/chunked, /py/close and /py/hop send a chunked, a
            close-delimited and a hop-by-hop-laden response.
  scripted  a raw-socket Python server whose behaviour is chosen by the path: never answer,
            close before answering, send a garbage head, die in the middle of a body, ...

Clients: Python's ssl over raw sockets (exact bytes, pipelining, slow reading) and curl.
Certificates: one self-signed P-256 certificate per site made with the openssl CLI in a
certbot-style live directory (fullchain.pem + privkey.pem); clients verify against it.

Each class starts its own backends and one ringway (workers = 1, so one upstream pool):
ProxyBase classes with upstream_response = 60s, ProxyFailures with upstream_response = 1s and
upstream_idle = 2s. ringway's stderr is checked for sanitizer reports after every test and for
the expected error lines in the failure tests; ringway must exit 0 on SIGTERM at the end.

Bodies here stay at or below 100 KB; 5 MB and 100 MB downloads, 300 KB and 1 MB uploads and
upstream reuse after large responses are in test_proxy_streaming.py (not registered while ringway
fails them)."""

import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import (ProtocolError, Ringway, TlsConn, curl, free_port,  # noqa: E402
                             poll, read_lines_when, request, require_binary,
                             start_unless_port_taken)

KB = 1024
MB = 1024 * 1024
SIZES = {"0": 0, "1k": KB, "100k": 100 * KB, "5m": 5 * MB}
BIG = 100 * MB  # sparse file for the memory test
BODY_MAX = MB  # request_body_max of the POST site p.test
SMALL_MAX = 64 * KB  # request_body_max of small.test (same backend)
RSS_GROWTH_MAX_KB = 20 * 1024
IO = 10.0  # bound for one response in the helpers

COMBINED = re.compile(
    r'(?P<addr>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
    r'(?P<status>\d{3}) (?P<size>\d+) "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)"')


def sha(data):
    return hashlib.sha256(data).hexdigest()


def stop_pid(proc, timeout=10):
    """SIGTERM, bounded wait, SIGKILL: for the backends started here."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_listening(port, host="127.0.0.1", timeout=5.0, proc=None):
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1))


# --------------------------------------------------------------------------------------
# Certificates and the TLS client
# --------------------------------------------------------------------------------------

def make_live_dir(parent, name):
    """parent/live/<name>/{fullchain,privkey}.pem: a self-signed P-256 certificate for name.
    Returns (live directory, path of the certificate for clients to trust)."""
    live = os.path.join(parent, "live", name)
    os.makedirs(live)
    cert, key = os.path.join(live, "fullchain.pem"), os.path.join(live, "privkey.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "3", "-subj", f"/CN={name}", "-addext",
                        f"subjectAltName=DNS:{name}"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"openssl req failed: {p.stderr}")
    return live, cert


class TlsClient(TlsConn):
    """TlsConn opened the way the proxy tests need (a receive buffer size, ALPN http/1.1)."""

    @classmethod
    def open(cls, port, name, cafile, timeout=IO, rcvbuf=None):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(timeout)
        try:
            raw.connect(("127.0.0.1", port))
            ctx = ssl.create_default_context(cafile=cafile)
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(raw, server_hostname=name)
        except BaseException:
            raw.close()
            raise
        return cls(s, ("127.0.0.1", port))

    def recv_some(self, n):
        """One recv of at most n bytes (b"" at EOF or reset), bypassing buf."""
        try:
            return self.sock.recv(n)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError):
            return b""


# --------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------

NGINX_ECHO = ("$http_x_forwarded_for|$http_x_forwarded_proto|$http_x_forwarded_host|$http_host|"
              "$http_x_ringway_hop|$http_connection|$http_keep_alive|$http_te|"
              "$http_proxy_connection|$http_x_secret|$http_x_custom|$request_method|$request_uri|"
              "$server_protocol|$http_transfer_encoding|$http_content_length\\n")
ECHO_FIELDS = ["xff", "xfp", "xfh", "host", "hop", "connection", "keep_alive", "te",
               "proxy_connection", "x_secret", "x_custom", "method", "uri", "protocol",
               "transfer_encoding", "content_length"]


class Nginx:
    """nginx on 127.0.0.1:port and [::1]:port, files under .www, log lines in .access_log."""

    def __init__(self, parent):
        self.dir = os.path.join(parent, "nginx")
        self.www = os.path.join(self.dir, "www")
        os.makedirs(self.www)
        self.access_log = os.path.join(self.dir, "access.log")
        self.files = {}
        for name, size in SIZES.items():
            data = os.urandom(size)
            with open(os.path.join(self.www, name), "wb") as f:
                f.write(data)
            self.files[name] = data
        with open(os.path.join(self.www, "big"), "wb") as f:
            f.truncate(BIG)  # sparse: 100 MB of zeros without the disk space
        self.proc = None

    def config(self, port):
        user = "user root root;\n" if os.geteuid() == 0 else ""
        return f"""{user}worker_processes 1;
error_log stderr warn;
pid {self.dir}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    log_format reuse '$connection $connection_requests $request_method $request_uri $status';
    access_log {self.access_log} reuse;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 300s;
    keepalive_requests 100000;
    client_body_temp_path {self.dir}/client_body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        listen [::1]:{port};
        root {self.www};
        location /chunked/ {{
            alias {self.www}/;
            gzip on;
            gzip_min_length 0;
            gzip_types *;
            gzip_proxied any;
        }}
        location = /echo {{
            default_type text/plain;
            return 200 "{NGINX_ECHO}";
        }}
    }}
}}
"""

    def start(self):
        for _attempt in range(4):
            self.port = free_port(ipv6=True)
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(self.config(self.port))
            self.stderr_path = os.path.join(self.dir, "nginx.stderr")
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir + "/",
                                              "-g", "daemon off;"],
                                             stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                             start_new_session=True)
            if wait_listening(self.port, proc=self.proc) and \
                    wait_listening(self.port, host="::1", proc=self.proc):
                return self
            stop_pid(self.proc)
        raise AssertionError(f"nginx did not start: {self.stderr()}")

    def stop(self):
        if self.proc is not None:
            stop_pid(self.proc)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self, marker, n, timeout=3.0):
        """Parsed access log lines (connection, requests, method, uri, status) with marker."""
        lines = read_lines_when(self.access_log,
                                lambda ls: sum(marker in x for x in ls) >= n, timeout)
        out = []
        for line in lines:
            if marker in line:
                conn, reqs, method, uri, status = line.split(" ")
                out.append((int(conn), int(reqs), method, uri, int(status)))
        return out


class PyBackendHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15  # bounds every read of a kept-alive connection

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding")
        if te is not None:
            if te.strip().lower() != "chunked":
                raise ValueError(f"transfer-encoding {te!r}")
            parts = []
            while True:
                line = self.rfile.readline(4096)
                if not line.endswith(b"\r\n"):
                    raise ValueError(f"chunk size line {line!r}")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(4096) not in (b"\r\n", b""):
                        pass
                    return b"".join(parts), "chunked"
                data = self.rfile.read(size)
                if len(data) != size or self.rfile.read(2) != b"\r\n":
                    raise ValueError("short chunk")
                parts.append(data)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", "none"
        n = int(cl)
        data = self.rfile.read(n)
        if len(data) != n:
            raise ValueError("short body")
        return data, "cl"

    def do_POST(self):
        try:
            body, framing = self._read_body()
        except (ValueError, OSError) as e:
            self.server.record(self, None, f"body: {e}")
            self.close_connection = True
            return
        self.server.record(self, body, None)
        out = json.dumps({"len": len(body), "sha256": sha(body), "framing": framing,
                          "path": self.path, "peer_port": self.client_address[1]}).encode()
        self._send(200, out, [("Content-Type", "application/json")])

    def do_HEAD(self):
        self.server.record(self, None, None)
        if self.path.startswith("/py/chunked"):
            self.send_response(200)  # the head a GET gets, without its body
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
        else:
            self._send(404, b"not here\n")

    def do_GET(self):
        self.server.record(self, None, None)
        if self.path.startswith("/py/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in self.server.chunk_pieces:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/py/close"):
            self.send_response(200)  # neither Content-Length nor chunked: ends at close
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(self.server.close_body)
            self.close_connection = True
        elif self.path.startswith("/py/hop"):
            self._send(200, b"hop\n", [("Connection", "keep-alive, X-Secret-Resp"),
                                       ("Keep-Alive", "timeout=300"),
                                       ("X-Secret-Resp", "must-not-pass"),
                                       ("Proxy-Connection", "keep-alive"),
                                       ("X-Kept", "yes")])
        else:
            self._send(404, b"not here\n")


class PyBackend(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PyBackendHandler)
        self.port = self.server_address[1]
        self.lock = threading.Lock()
        self.records = []  # (method, path, headers dict, body length or None, error)
        self.chunk_pieces = [os.urandom(n) for n in (1, 10, 4095, 4096, 65536, 100000, 3, 7000)]
        self.close_body = os.urandom(300 * KB)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def handle_error(self, request, client_address):
        pass  # a connection ringway closed on purpose (a truncated body, a 413) is no news

    def record(self, handler, body, error):
        with self.lock:
            self.records.append((handler.command, handler.path, dict(handler.headers),
                                 None if body is None else len(body), error))

    def records_for(self, marker):
        with self.lock:
            return [r for r in self.records if marker in r[1]]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        self.thread.join(10)


class ScriptedBackend:
    """Raw sockets: per connection, reads request heads and acts by the path:
      /ok...          200 'ok', kept alive (then the next request on the connection)
      /okclose...     200 'ok' with keepalive framing, then closes 0.2 s later
      /hang...        never answers (reads until the peer closes)
      /close...       closes without answering
      /garbage...     answers a head that is not HTTP
      /trunc-cl...    Content-Length 100000, sends 40000 bytes, closes
      /trunc-chunked  chunked, one 40000-byte chunk, closes
      /reset-close    200 delimited by the close, 40000 bytes, then a reset (no FIN)
      /slowhead...    answers 200 after 0.4 s
    .closed: list of (monotonic time, path of the connection's last request) when a peer
    closed a kept-alive connection."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.requests = []  # (monotonic time, path)
        self.closed = []
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass
        self.sock.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(0.2)
        buf = b""
        last = None
        deadline = time.monotonic() + 30
        try:
            while not self.stopping.is_set() and time.monotonic() < deadline:
                while b"\r\n\r\n" not in buf:
                    try:
                        data = c.recv(65536)
                    except socket.timeout:
                        if self.stopping.is_set() or time.monotonic() > deadline:
                            return
                        continue
                    if not data:
                        with self.lock:
                            self.closed.append((time.monotonic(), last))
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                path = head.split(b"\r\n")[0].split(b" ")[1].decode("latin-1")
                last = path
                with self.lock:
                    self.requests.append((time.monotonic(), path))
                if path.startswith("/okclose"):
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    time.sleep(0.2)
                    return
                if path.startswith("/ok"):
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                elif path.startswith("/slowhead"):
                    time.sleep(0.4)
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
                elif path.startswith("/hang"):
                    continue  # reads on (the next head never comes) until EOF or stop
                elif path.startswith("/reset-close"):
                    c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"z" * 40000)
                    time.sleep(0.2)
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return  # the close in finally resets
                elif path.startswith("/close"):
                    return
                elif path.startswith("/garbage"):
                    c.sendall(b"this is not an HTTP response\r\n\r\n")
                    time.sleep(0.5)
                    return
                elif path.startswith("/trunc-cl"):
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" +
                              b"x" * 40000)
                    time.sleep(0.2)
                    return
                elif path.startswith("/trunc-chunked"):
                    c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              b"9c40\r\n" + b"y" * 40000 + b"\r\n")
                    time.sleep(0.2)
                    return
                else:
                    c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            return
        finally:
            c.close()


# --------------------------------------------------------------------------------------
# ringway with HTTPS sites
# --------------------------------------------------------------------------------------

def ringway_config(http_port, https_port, webroot, sites, access, timeouts):
    lines = ["workers = 1", "", "[http]", f'listen = ["127.0.0.1:{http_port}"]',
             f"acme_webroot = {json.dumps(webroot)}", f"redirect_port = {https_port}", "",
             "[https]", f'listen = ["127.0.0.1:{https_port}"]', "", "[timeouts]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in timeouts.items()]
    lines += ["", "[log]", f"access = {json.dumps(access)}", 'format = "combined"', ""]
    for site in sites:
        lines.append("[[site]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in site.items()]
        lines.append("")
    return "\n".join(lines)


def start_proxy_ringway(parent, webroot, sites, access, timeouts, extra=""):
    """ringway (ringway_config plus the `extra` tables) on two free loopback ports, tried
    again on a port race. Returns (Ringway, plain port, HTTPS port); the caller stops it."""
    for _attempt in range(4):
        http_port, https_port = free_port(), free_port()
        text = ringway_config(http_port, https_port, webroot, sites, access, timeouts) + extra
        rwdir = tempfile.mkdtemp(prefix="rw-", dir=parent)
        rw = Ringway(rwdir, text, listen=[f"127.0.0.1:{http_port}", f"127.0.0.1:{https_port}"])
        if start_unless_port_taken(rw):
            return rw, http_port, https_port
    raise AssertionError(f"ringway's ports were taken on every try: {rw.stderr_text()}")


class ProxyCase(unittest.TestCase):
    """One ringway (workers = 1) for the class in front of the backends setUpClass starts.

    Subclasses define backends() (starts what they need, registers cleanups) and SITES:
    name -> dict of site keys (upstream filled in from the backends)."""

    TIMEOUTS = {}
    inst_rw = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="ringway-proxy-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        os.chmod(cls.tmp, 0o755)
        cls.backends()
        le = os.path.join(cls.tmp, "letsencrypt")
        cls.cafile = {}
        sites = []
        for name, keys in cls.sites().items():
            live, cert = make_live_dir(le, name)
            cls.cafile[name] = cert
            sites.append(dict(hosts=[name], certificate=live, **keys))
        webroot = os.path.join(cls.tmp, "webroot")
        os.makedirs(os.path.join(webroot, ".well-known", "acme-challenge"))
        cls.access_log = os.path.join(cls.tmp, "access.log")
        cls.rw, cls.http_port, cls.port = start_proxy_ringway(
            cls.tmp, webroot, sites, cls.access_log, cls.TIMEOUTS)
        cls.addClassCleanup(cls._stop_ringway)

    @classmethod
    def _stop_ringway(cls):
        rc, killed = cls.rw.stop()
        report = cls.rw.sanitizer_report()
        if report:
            raise AssertionError(f"sanitizer report in ringway's stderr:\n{report}")
        if killed or rc != 0:
            raise AssertionError(f"ringway did not stop cleanly on SIGTERM (status {rc}, killed "
                                 f"{killed}): {cls.rw.diagnostics()}")

    def tearDown(self):
        if not self.rw.alive():
            self.fail(f"ringway died during this test: {self.rw.diagnostics()}")
        report = self.rw.sanitizer_report()
        if report:
            self.fail(f"sanitizer report in ringway's stderr:\n{report}")

    # -- helpers --
    def diag(self):
        """ringway's state and its stderr after the startup lines."""
        err = self.rw.stderr_text()
        i = err.find("info: ringway: listening on")
        if i >= 0:
            err = err[err.find("\n", i) + 1:]
        st = "running" if self.rw.alive() else f"exited {self.rw.proc.returncode}"
        return f"[ringway {st}; stderr after startup: {err[-3000:]!r}]"

    def conn(self, name, rcvbuf=None, timeout=IO):
        c = TlsClient.open(self.port, name, self.cafile[name], timeout=timeout, rcvbuf=rcvbuf)
        self.addCleanup(c.close)
        return c

    def get(self, name, target, method="GET", headers=(), body=b"", timeout=IO, conn=None):
        c = conn or self.conn(name)
        try:
            c.send(request(method, target, host=name, headers=headers, body=body))
        except OSError as e:  # ssl.SSLError included
            raise AssertionError(f"{method} {target} to {name}: sending: {type(e).__name__}: "
                                 f"{e} {self.diag()}") from None
        try:
            return c.read_response(head=method == "HEAD", timeout=timeout)
        except ProtocolError as e:
            raise AssertionError(f"{method} {target} to {name}: {e} {self.diag()}") from None

    def curl(self, name, *args, path="/"):
        return curl("-sS", "--cacert", self.cafile[name], "--resolve",
                    f"{name}:{self.port}:127.0.0.1", *args, f"https://{name}:{self.port}{path}",
                    timeout=60)

    def access_lines(self, marker, n=1):
        lines = read_lines_when(self.access_log, lambda ls: sum(marker in x for x in ls) >= n)
        got = [x for x in lines if marker in x]
        self.assertGreaterEqual(len(got), n, f"{n} access log line(s) with {marker!r} expected "
                                             f"within 3 s; log tail {lines[-5:]!r} {self.diag()}")
        out = []
        for line in got:
            m = COMBINED.fullmatch(line)
            self.assertIsNotNone(m, f"not a combined log line: {line!r}")
            out.append(m)
        return out

    def stderr_since(self, offset):
        return self.rw.stderr_text()[offset:]


def marker():
    return f"m{time.monotonic_ns()}"


# --------------------------------------------------------------------------------------
# Normal proxying (upstream_response = 60s)
# --------------------------------------------------------------------------------------

class ProxyBase(ProxyCase):
    TIMEOUTS = {"upstream_connect": "5s", "upstream_response": "60s", "upstream_idle": "300s"}

    @classmethod
    def backends(cls):
        cls.nginx = Nginx(cls.tmp)
        cls.nginx.start()
        cls.addClassCleanup(cls.nginx.stop)
        cls.py = PyBackend().start()
        cls.addClassCleanup(cls.py.stop)

    @classmethod
    def sites(cls):
        n = cls.nginx.port
        return {
            "a.test": dict(upstream=f"http://127.0.0.1:{n}"),
            "u.test": dict(upstream=f"http://127.0.0.1:{n}", upstream_host="upstream"),
            "v6.test": dict(upstream=f"http://[::1]:{n}"),
            "p.test": dict(upstream=f"http://127.0.0.1:{cls.py.port}",
                           request_body_max=BODY_MAX),
            "small.test": dict(upstream=f"http://127.0.0.1:{cls.py.port}",
                               request_body_max=SMALL_MAX),
        }


    # -- checks shared with test_proxy_streaming.py --
    def check_get(self, names):
        for name in names:
            size = SIZES[name]
            with self.subTest(file=name):
                r = self.get("a.test", f"/{name}")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.get("content-length"), str(size), r.raw_head)
                self.assertEqual(len(r.body), size)
                self.assertEqual(sha(r.body), sha(self.nginx.files[name]))

    def check_curl_get(self, names):
        for name in names:
            size = SIZES[name]
            with self.subTest(file=name):
                out = os.path.join(self.tmp, f"curl-{name}")
                p = self.curl("a.test", "-o", out, "-w", "%{http_code} %{size_download}",
                              path=f"/{name}")
                self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
                self.assertEqual(p.stdout, f"200 {size}")
                with open(out, "rb") as f:
                    self.assertEqual(sha(f.read()), sha(self.nginx.files[name]))

    def check_upstream_reuse(self, names, n=60):
        """n sequential requests cycling through names on one client connection use at most
        2 upstream connections (nginx's $connection)."""
        mk = marker()
        c = self.conn("a.test")
        for i in range(n):
            name = names[i % len(names)]
            r = self.get("a.test", f"/{name}?{mk}={i}", conn=c)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, self.nginx.files[name], f"request {i}")
            self.assertNotIn("close", r.connection_tokens(), f"request {i}: {r.raw_head!r}")
        lines = self.nginx.log_lines(mk, n)
        self.assertEqual(len(lines), n, lines)
        conns = {line[0] for line in lines}
        self.assertLessEqual(len(conns), 2, f"{n} sequential requests for {names} used upstream "
                                            f"connections {sorted(conns)} (nginx log "
                                            f"{lines[:7]}...)")
        self.assertGreaterEqual(max(line[1] for line in lines), n // 2, lines[-3:])

    def run_concurrent(self, target, clients=8, per_client=8):
        """clients TLS connections in threads, per_client GETs each, all byte-exact.
        Returns nginx's log lines for them."""
        mk = marker()
        errors = []
        want = self.nginx.files[target]

        def client(k):
            try:
                c = TlsClient.open(self.port, "a.test", self.cafile["a.test"], timeout=IO)
                try:
                    for i in range(per_client):
                        c.send(request("GET", f"/{target}?{mk}={k}-{i}", host="a.test"))
                        r = c.read_response(timeout=IO)
                        if r.status != 200 or r.body != want:
                            errors.append(f"client {k} request {i}: {r!r}")
                finally:
                    c.close()
            except Exception as e:  # every failure is collected and reported
                errors.append(f"client {k}: {type(e).__name__}: {e}")

        threads = [threading.Thread(target=client, args=(k,), daemon=True)
                   for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "a client thread hung")
        self.assertEqual(errors, [], self.diag())
        lines = self.nginx.log_lines(mk, clients * per_client)
        self.assertEqual(len(lines), clients * per_client)
        return lines

    def post(self, size, chunks=None, mk=None, conn=None, name="p.test"):
        """POSTs size random bytes (Content-Length, or chunked in pieces of the sizes in
        chunks) to the Python backend, which must echo the same length and sha256."""
        mk = mk or marker()
        data = os.urandom(size)
        if chunks is None:
            headers = [("Content-Length", str(size)), ("Content-Type", "application/octet-stream")]
            body = data
        else:
            headers = [("Transfer-Encoding", "chunked")]
            body, i = b"", 0
            for n in chunks:
                body += b"%x\r\n" % n + data[i:i + n] + b"\r\n"
                i += n
            self.assertEqual(i, size)
            body += b"0\r\n\r\n"
        r = self.get(name, f"/post?{mk}", method="POST", headers=headers, body=body,
                     conn=conn)
        self.assertEqual(r.status, 200, r)
        got = json.loads(r.body)
        self.assertEqual(got["len"], size, got)
        self.assertEqual(got["sha256"], sha(data), got)
        self.assertEqual(got["framing"], "cl" if chunks is None else "chunked", got)
        return got

    def curl_post(self, size):
        data = os.urandom(size)
        path = os.path.join(self.tmp, f"post-body-{size}")
        with open(path, "wb") as f:
            f.write(data)
        for extra in ([], ["-H", "Transfer-Encoding: chunked"]):
            with self.subTest(extra=extra):
                p = self.curl("p.test", "-H", "Expect:", "--data-binary", f"@{path}", *extra,
                              path="/post")
                self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
                got = json.loads(p.stdout)
                self.assertEqual((got["len"], got["sha256"]), (size, sha(data)))
                self.assertEqual(got["framing"], "chunked" if extra else "cl")

    def over_limit_chunked(self, name, limit):
        """A chunked body one 16 KB chunk past the site's request_body_max: 413, and the
        backend never sees a complete body."""
        mk = marker()
        c = self.conn(name)
        piece = 16 * KB
        count = limit // piece + 1
        body = b"".join(b"%x\r\n" % piece + os.urandom(piece) + b"\r\n" for _ in range(count))
        c.send(request("POST", f"/post?{mk}", host=name,
                       headers=[("Transfer-Encoding", "chunked")]))
        sent = c.try_send(body + b"0\r\n\r\n")
        try:
            r = c.read_response(timeout=IO)
        except ProtocolError as e:
            self.fail(f"chunked body of {count * piece} bytes (limit {limit}), all sent: "
                      f"{sent}: expected a 413, got {e} {self.diag()}")
        self.assertEqual(r.status, 413, r)
        time.sleep(0.2)
        for rec in self.py.records_for(mk):
            self.assertIsNone(rec[3], f"the backend received a complete body: {rec}")


SMALL_FILES = ("0", "1k", "100k")  # 5m: test_proxy_streaming.py


class ProxyGetHead(ProxyBase):

    def test_get_each_size_byte_exact(self):
        self.check_get(SMALL_FILES)

    def test_get_each_size_with_curl(self):
        self.check_curl_get(SMALL_FILES)

    def test_head_each_size_then_get_on_same_connection(self):
        c = self.conn("a.test")
        for name, size in SIZES.items():
            with self.subTest(file=name):
                r = self.get("a.test", f"/{name}", method="HEAD", conn=c)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.get("content-length"), str(size), r.raw_head)
                # No body bytes may follow a HEAD response: the next response parses cleanly.
                r2 = self.get("a.test", "/1k", conn=c)
                self.assertEqual(r2.status, 200, r2)
                self.assertEqual(r2.body, self.nginx.files["1k"])
        self.assertEqual(c.buf, b"")

    def test_upstream_status_passes_through(self):
        r = self.get("a.test", "/no-such-file")
        self.assertEqual(r.status, 404, r)
        self.assertIn(b"404", r.body)

    def test_chunked_response_gzip(self):
        import zlib
        for name in ("1k", "100k", "5m"):
            with self.subTest(file=name):
                r = self.get("a.test", f"/chunked/{name}",
                             headers=[("Accept-Encoding", "gzip")])
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.get("content-encoding"), "gzip", r.raw_head)
                self.assertEqual(r.get("transfer-encoding"), "chunked", r.raw_head)
                self.assertFalse(r.has("content-length"), r.raw_head)
                plain = zlib.decompress(r.body, 16 + zlib.MAX_WBITS)
                self.assertEqual(sha(plain), sha(self.nginx.files[name]))

    def test_chunked_response_gzip_with_curl(self):
        out = os.path.join(self.tmp, "curl-gz")
        p = self.curl("a.test", "--compressed", "-o", out, "-w", "%{http_code}",
                      path="/chunked/5m")
        self.assertEqual(p.returncode, 0, f"curl: {p.stderr} {self.diag()}")
        self.assertEqual(p.stdout, "200")
        with open(out, "rb") as f:
            self.assertEqual(sha(f.read()), sha(self.nginx.files["5m"]))

    def test_chunked_response_exact_chunks(self):
        r = self.get("p.test", "/py/chunked")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"".join(self.py.chunk_pieces))

    def test_close_delimited_response(self):
        c = self.conn("p.test")
        c.send(request("GET", "/py/close", host="p.test"))
        try:
            r = c.read_response(timeout=IO)
        except ProtocolError as e:
            self.fail(f"{e} {self.diag()}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body), len(self.py.close_body))
        self.assertEqual(r.body, self.py.close_body)

    def test_ipv6_upstream(self):
        r = self.get("v6.test", "/100k")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.nginx.files["100k"])
        r = self.get("v6.test", "/echo")
        self.assertEqual(r.body.decode().split("|")[3], "v6.test")

    def test_pipelined_requests_answered_in_order(self):
        c = self.conn("a.test")
        c.send(request("GET", "/1k", host="a.test") + request("HEAD", "/5m", host="a.test") +
               request("GET", "/0", host="a.test") + request("GET", "/100k", host="a.test"))
        for target, head in (("1k", False), ("5m", True), ("0", False), ("100k", False)):
            try:
                r = c.read_response(head=head, timeout=IO)
            except ProtocolError as e:
                self.fail(f"pipelined response for /{target}: {e} {self.diag()}")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.get("content-length"), str(SIZES[target]))
            if not head:
                self.assertEqual(r.body, self.nginx.files[target])

    def test_access_log_has_upstream_status_and_bytes(self):
        mk = marker()
        self.get("a.test", f"/100k?{mk}=1")
        self.get("a.test", f"/missing-{mk}")
        self.get("a.test", f"/5m?{mk}=head", method="HEAD")
        lines = {m.group("request").split(" ")[1]: m for m in self.access_lines(mk, 3)}
        ok = lines[f"/100k?{mk}=1"]
        self.assertEqual(ok.group("status"), "200")
        self.assertEqual(int(ok.group("size")), 100 * KB)
        self.assertEqual(ok.group("request"), f"GET /100k?{mk}=1 HTTP/1.1")
        missing = lines[f"/missing-{mk}"]
        self.assertEqual(missing.group("status"), "404")
        self.assertGreater(int(missing.group("size")), 0)
        head = lines[f"/5m?{mk}=head"]
        self.assertEqual(head.group("status"), "200")
        self.assertEqual(head.group("size"), "0")


class ProxyKeepalive(ProxyBase):

    def test_many_requests_on_one_client_connection_reuse_one_upstream(self):
        self.check_upstream_reuse(("0", "1k"))  # with 100k: test_proxy_streaming.py

    def test_sequential_client_connections_share_the_upstream_pool(self):
        mk = marker()
        n = 20
        for i in range(n):
            c = self.conn("a.test")
            r = self.get("a.test", f"/1k?{mk}={i}", conn=c,
                         headers=[("Connection", "close")])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, self.nginx.files["1k"])
            closed, extra, _ = c.wait_closed(timeout=5)
            self.assertTrue(closed, "Connection: close was not honoured")
            c.close()
        lines = self.nginx.log_lines(mk, n)
        conns = {line[0] for line in lines}
        self.assertLessEqual(len(conns), 2, f"{n} client connections, one at a time, used "
                                            f"upstream connections {sorted(conns)}")

    def test_concurrent_clients_small_responses_share_a_pool(self):
        lines = self.run_concurrent("1k")
        conns = {line[0] for line in lines}
        self.assertLessEqual(len(conns), 16, f"8 clients used upstream connections {conns}")

    def test_concurrent_clients_100k(self):
        self.run_concurrent("100k")  # the pool bound for 100k: test_proxy_streaming.py

    def test_client_connection_closed_with_connection_close(self):
        c = self.conn("a.test")
        r = self.get("a.test", "/1k", headers=[("Connection", "close")], conn=c)
        self.assertEqual(r.status, 200)
        self.assertIn("close", r.connection_tokens(), r.raw_head)
        closed, extra, _ = c.wait_closed(timeout=5)
        self.assertTrue(closed)
        self.assertEqual(extra, b"")


class ProxyHeaders(ProxyBase):

    def echo(self, name, headers=(), host=None):
        c = self.conn(name)
        c.send(request("GET", "/echo?x=1", host=host or name, headers=headers))
        r = c.read_response(timeout=IO)
        self.assertEqual(r.status, 200, r)
        values = r.body.decode("latin-1").rstrip("\n").split("|")
        self.assertEqual(len(values), len(ECHO_FIELDS), r.body)
        return dict(zip(ECHO_FIELDS, values))

    def test_forwarded_headers_and_client_host(self):
        e = self.echo("a.test")
        self.assertEqual(e["xff"], "127.0.0.1")
        self.assertEqual(e["xfp"], "https")
        self.assertEqual(e["xfh"], "a.test")
        self.assertEqual(e["host"], "a.test")
        self.assertEqual(e["hop"], "1")
        self.assertIn(e["connection"].lower(), ("", "keep-alive"))
        self.assertEqual(e["method"], "GET")
        self.assertEqual(e["uri"], "/echo?x=1")
        self.assertEqual(e["protocol"], "HTTP/1.1")
        self.assertEqual(e["transfer_encoding"], "")
        self.assertEqual(e["content_length"], "")

    def test_client_host_with_port_is_passed_on(self):
        e = self.echo("a.test", host=f"a.test:{self.port}")
        self.assertEqual(e["host"], f"a.test:{self.port}")
        self.assertEqual(e["xfh"], f"a.test:{self.port}")

    def test_upstream_host_option(self):
        e = self.echo("u.test")
        self.assertEqual(e["host"], f"127.0.0.1:{self.nginx.port}")
        self.assertEqual(e["xfh"], "u.test")
        self.assertEqual(e["hop"], "1")

    def test_existing_x_forwarded_for_is_extended(self):
        e = self.echo("a.test", headers=[("X-Forwarded-For", "198.51.100.7")])
        self.assertEqual(e["xff"], "198.51.100.7, 127.0.0.1")

    def test_client_supplied_forwarding_headers_are_replaced(self):
        e = self.echo("a.test", headers=[("X-Forwarded-Proto", "http"),
                                         ("X-Forwarded-Host", "evil.test"),
                                         ("X-Ringway-Hop", "7")])
        self.assertEqual(e["xfp"], "https")
        self.assertEqual(e["xfh"], "a.test")
        self.assertEqual(e["hop"], "1")

    def test_hop_by_hop_request_headers_removed(self):
        e = self.echo("a.test", headers=[("Connection", "keep-alive, X-Secret"),
                                         ("X-Secret", "must-not-pass"),
                                         ("Keep-Alive", "timeout=5"),
                                         ("TE", "trailers"),
                                         ("Proxy-Connection", "keep-alive"),
                                         ("X-Custom", "passes")])
        self.assertEqual(e["x_secret"], "")
        self.assertEqual(e["keep_alive"], "")
        self.assertEqual(e["te"], "")
        self.assertEqual(e["proxy_connection"], "")
        self.assertIn(e["connection"].lower(), ("", "keep-alive"))
        self.assertEqual(e["x_custom"], "passes")

    def test_header_forwarding_with_curl(self):
        p = self.curl("a.test", "-H", "X-Custom: from-curl", path="/echo")
        self.assertEqual(p.returncode, 0, p.stderr)
        e = dict(zip(ECHO_FIELDS, p.stdout.rstrip("\n").split("|")))
        self.assertEqual(e["host"], f"a.test:{self.port}")
        self.assertEqual(e["xff"], "127.0.0.1")
        self.assertEqual(e["x_custom"], "from-curl")

    def test_hop_by_hop_response_headers_removed(self):
        r = self.get("p.test", "/py/hop")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"hop\n")
        self.assertEqual(r.get("x-kept"), "yes", r.raw_head)
        for name in ("x-secret-resp", "keep-alive", "proxy-connection"):
            self.assertFalse(r.has(name), f"{name} reached the client: {r.raw_head!r}")


class ProxyPost(ProxyBase):
    """Request bodies up to 100 KB here; 300 KB and 1 MB: test_proxy_streaming.py."""

    def test_post_content_length_sizes(self):
        for size in (0, KB, 10 * KB, 100 * KB):
            with self.subTest(size=size):
                self.post(size)

    def test_post_chunked_sizes(self):
        for size, chunks in ((0, []), (KB, [KB]), (10 * KB, [1, 2, 10237]),
                             (100 * KB, [1, 4095, 4096, 94208])):
            with self.subTest(size=size):
                self.post(size, chunks)

    def test_several_posts_on_one_connection(self):
        c = self.conn("p.test")
        ports = set()
        for size in (KB, 0, 100 * KB, 5):
            ports.add(self.post(size, conn=c)["peer_port"])
            ports.add(self.post(size, chunks=[size] if size else [], conn=c)["peer_port"])
        self.assertLessEqual(len(ports), 2, f"upstream connections (ringway's ports) {ports}")

    def test_post_with_curl_content_length_and_chunked(self):
        self.curl_post(100 * KB)

    def test_body_over_limit_content_length_413(self):
        for name, limit in (("small.test", SMALL_MAX), ("p.test", BODY_MAX)):
            with self.subTest(site=name):
                mk = marker()
                c = self.conn(name)
                c.send(request("POST", f"/post?{mk}", host=name,
                               headers=[("Content-Length", str(limit + 1))]))
                r = c.read_response(timeout=IO)  # the head alone: no body needs to be sent
                self.assertEqual(r.status, 413, r)
                time.sleep(0.2)
                self.assertEqual(self.py.records_for(mk), [], "the request reached the backend")
                m, = self.access_lines(mk)
                self.assertEqual(m.group("status"), "413")

    def test_body_over_limit_chunked_413(self):
        self.over_limit_chunked("small.test", SMALL_MAX)

    def test_body_at_limit_is_accepted(self):
        self.post(SMALL_MAX, name="small.test")
        self.post(SMALL_MAX, chunks=[SMALL_MAX // 2, SMALL_MAX // 2], name="small.test")


# --------------------------------------------------------------------------------------
# Failures (upstream_response = 1s, upstream_idle = 2s)
# --------------------------------------------------------------------------------------

class ProxyFailures(ProxyCase):
    TIMEOUTS = {"upstream_connect": "5s", "upstream_response": "1s", "upstream_idle": "2s"}

    @classmethod
    def backends(cls):
        cls.nginx = Nginx(cls.tmp)
        cls.nginx.start()
        cls.addClassCleanup(cls.nginx.stop)
        cls.scripted = ScriptedBackend().start()
        cls.addClassCleanup(cls.scripted.stop)
        cls.down_port = free_port()  # nothing listens here

    @classmethod
    def sites(cls):
        return {
            "n.test": dict(upstream=f"http://127.0.0.1:{cls.nginx.port}"),
            "s.test": dict(upstream=f"http://127.0.0.1:{cls.scripted.port}"),
            "down.test": dict(upstream=f"http://127.0.0.1:{cls.down_port}"),
        }

    def timed(self, name, target, method="GET"):
        off = len(self.rw.stderr_text())
        start = time.monotonic()
        r = self.get(name, target, method=method)
        return r, time.monotonic() - start, off

    def test_backend_down_502_quickly(self):
        mk = marker()
        first_off = None
        for method in ("GET", "HEAD", "GET"):
            with self.subTest(method=method):
                r, elapsed, off = self.timed("down.test", f"/x?{mk}", method)
                first_off = off if first_off is None else first_off
                self.assertEqual(r.status, 502, r)
                self.assertLess(elapsed, 1.0, "502 was not quick")
                if method == "GET":
                    self.assertGreater(len(r.body), 0, "502 without a short body")
        self.assertTrue(poll(lambda: str(self.down_port) in self.stderr_since(first_off), 2),
                        f"no log line naming the upstream: {self.stderr_since(first_off)!r}")
        ms = self.access_lines(mk, 3)
        self.assertEqual([m.group("status") for m in ms], ["502"] * 3)

    def test_backend_down_errors_are_logged_once_a_second(self):
        time.sleep(1.1)  # out of any earlier test's second
        off = len(self.rw.stderr_text())
        for i in range(20):
            r = self.get("down.test", f"/flood{i}")
            self.assertEqual(r.status, 502, r)
        time.sleep(1.1)
        r = self.get("down.test", "/after")
        self.assertEqual(r.status, 502, r)

        def connect_lines():
            return [line for line in self.stderr_since(off).splitlines()
                    if f":{self.down_port}" in line and "connect" in line]
        self.assertTrue(poll(lambda: len(connect_lines()) >= 2, 2), connect_lines())
        lines = connect_lines()
        # 21 refusals in about 1.2 s: the first line at once, then one a second with the count.
        self.assertLessEqual(len(lines), 3, lines)
        self.assertIn("more upstream errors since the last line", lines[-1])

    def test_slow_backend_504_after_upstream_response(self):
        mk = marker()
        r, elapsed, off = self.timed("s.test", f"/hang?{mk}")
        self.assertEqual(r.status, 504, r)
        self.assertGreater(len(r.body), 0, "504 without a short body")
        self.assertGreaterEqual(elapsed, 0.9, "504 before upstream_response (1 s)")
        self.assertLess(elapsed, 2.5, "504 long after upstream_response (1 s)")
        self.assertTrue(poll(lambda: "504" in self.stderr_since(off), 2),
                        f"no log line for the 504: {self.stderr_since(off)!r}")
        m, = self.access_lines(mk)
        self.assertEqual(m.group("status"), "504")

    def test_head_within_upstream_response_is_served(self):
        r, elapsed, _ = self.timed("s.test", "/slowhead")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"slow")

    def test_upstream_closes_before_answering_502(self):
        r, elapsed, off = self.timed("s.test", "/close")
        self.assertEqual(r.status, 502, r)
        self.assertLess(elapsed, 1.0)

    def test_invalid_response_head_502(self):
        r, elapsed, off = self.timed("s.test", "/garbage")
        self.assertEqual(r.status, 502, r)
        self.assertTrue(poll(lambda: "502" in self.stderr_since(off), 2),
                        f"no log line for the 502: {self.stderr_since(off)!r}")

    def truncated(self, target):
        c = self.conn("s.test")
        c.send(request("GET", target, host="s.test"))
        deadline = time.monotonic() + IO
        while b"\r\n\r\n" not in c.buf:
            if not c._fill(deadline):
                self.fail(f"closed before the head: {c.buf!r} {self.diag()}")
        closed, data, elapsed = c.wait_closed(timeout=5)
        self.assertTrue(closed, f"the client connection stayed open after the upstream died "
                                f"mid-body ({len(data)} bytes) {self.diag()}")
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        return head, body

    def test_upstream_dies_mid_body_content_length(self):
        head, body = self.truncated("/trunc-cl")
        self.assertIn(b"Content-Length: 100000", head)
        self.assertEqual(body, b"x" * 40000, "the relayed part differs")

    def test_upstream_dies_mid_body_chunked(self):
        head, body = self.truncated("/trunc-chunked")
        self.assertIn(b"chunked", head.lower())
        self.assertFalse(body.endswith(b"0\r\n\r\n"), "the client got a complete chunked body")
        self.assertIn(b"y" * 1000, body)

    def cut_at_close(self, target, version_option):
        """A body whose end for the client is the close, cut by the upstream: the
        client must see a reset, never the clean end it would take for the whole.
        curl, because Python's TLS socket reports a reset after data as a clean EOF."""
        p = self.curl("s.test", version_option, "-o", os.devnull, "-w",
                      "%{http_code} %{size_download}", path=target)
        self.assertEqual(p.returncode, 56, f"curl: {p.stdout} {p.stderr} {self.diag()}")
        self.assertIn("reset", p.stderr, f"{p.stdout} {self.diag()}")
        self.assertTrue(p.stdout.startswith("200 "), p.stdout)

    def test_upstream_reset_in_a_close_delimited_body_resets_the_client(self):
        self.cut_at_close("/reset-close", "--http1.1")

    def test_upstream_dies_mid_chunked_body_for_http10_resets_the_client(self):
        self.cut_at_close("/trunc-chunked", "--http1.0")

    def test_service_continues_after_failures(self):
        for target in ("/close", "/garbage", "/trunc-cl"):
            try:
                self.get("s.test", target)
            except (AssertionError, OSError):
                pass
        r = self.get("s.test", "/ok")
        self.assertEqual((r.status, r.body), (200, b"ok"))
        r = self.get("n.test", "/100k")
        self.assertEqual(r.body, self.nginx.files["100k"])

    def test_stale_pooled_connection_is_retried(self):
        r = self.get("s.test", "/okclose")
        self.assertEqual((r.status, r.body), (200, b"ok"))
        time.sleep(0.5)  # the backend closed the pooled connection meanwhile
        for _ in range(3):
            r = self.get("s.test", "/ok")
            self.assertEqual((r.status, r.body), (200, b"ok"), self.diag())

    def test_idle_upstream_connections_closed_after_upstream_idle(self):
        mk = marker()
        r = self.get("s.test", f"/ok-{mk}")
        self.assertEqual(r.status, 200)
        sent = time.monotonic()

        def closed_at():
            with self.scripted.lock:
                return [t for t, path in self.scripted.closed if path == f"/ok-{mk}"]

        got = poll(closed_at, 5)
        self.assertTrue(got, "the pooled connection was not closed within 5 s "
                             "(upstream_idle = 2s)")
        self.assertGreater(got[0] - sent, 1.5, "closed before upstream_idle")
        self.assertLess(got[0] - sent, 3.5, "closed long after upstream_idle")


if __name__ == "__main__":
    unittest.main(verbosity=2)

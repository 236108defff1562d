#!/usr/bin/env python3
"""ringway against nginx, HAProxy and the io_uring floor: work per server CPU-second, and memory.

Scenarios (--scenario): "redirect" (plain HTTP keepalive, `GET /some/path` with `Host:
localhost`, a 301 to https://localhost/some/path; all five servers), "tls-handshake" (new TLS 1.3
connections, every one a full handshake), "tls-keepalive" (small HTTPS keepalive responses) and
"tls-idle-memory" (bytes of server memory per idle TLS and plain HTTP connection); the TLS
scenarios run ringway, nginx and HAProxy with one ECDSA P-256 certificate. Each server runs
pinned to CPU 0 with one worker or thread; the load runs pinned to CPU 1. The figure that matters
is work done divided by the server's own utime+stime, which stays meaningful on a shared, noisy
machine where requests per second do not. See bench/README.md.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import resource
import select
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_CPU = "0"
CLIENT_CPU = "1"
LISTEN_ADDRESS = "127.0.0.1"
REQUEST_HOST = "localhost"
REQUEST_PATH = "/some/path"
EXPECTED_LOCATION = f"https://{REQUEST_HOST}{REQUEST_PATH}"
SERVER_NAMES = ("ringway", "nginx", "haproxy", "floor", "floor-simple")
TLS_SERVER_NAMES = ("ringway", "nginx", "haproxy")
SCENARIOS = ("redirect", "tls-handshake", "tls-keepalive", "tls-idle-memory")
TLS_PATH = "/"
TLS_BODY = b"ok\n"
# The same policy as ringway's (src/tls/server_context.cc), in OpenSSL's words.
TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
TLS_GROUPS = "X25519:P-256"
# The targets, as ringway's figure over the peer's (idle memory: at most the value).
TARGETS = {
    "tls-handshake": {"nginx": (">=", 1.6), "haproxy": (">=", 1.6)},
    "tls-keepalive": {"nginx": (">=", 1.3)},
    "tls-idle-memory": {"nginx": ("<=", 1 / 3)},
}
READY_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 5.0
SMOKE_ROUNDS = 1
SMOKE_DURATION_SECONDS = 2
SMOKE_IDLE_CONNECTIONS = 500
IDLE_CONNECTIONS = 10000
IDLE_SETTLE_SECONDS = 1.0
IDLE_WARMUP_SECONDS = 0.5
RINGWAY_DEFAULT_CONNECTIONS = 16384
WARMUP_SECONDS_MAX = 2
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
LATENCY_UNITS_TO_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class HarnessError(Exception):
    """A failure that makes the measurement meaningless: a server, wrk or a response."""


@dataclass
class TlsFiles:
    """One ECDSA P-256 certificate for every server, laid out the way certbot leaves it."""
    live_directory: Path  # live/localhost: fullchain.pem and privkey.pem (ringway)
    fullchain: Path  # leaf, then its issuer (nginx)
    privkey: Path
    combined: Path  # key and chain in one file (HAProxy)
    ca: Path  # what the harness's own checks verify against


@dataclass
class ServerSpec:
    name: str
    port: int
    command: list
    log_path: Path
    tls_port: int = 0


@dataclass
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen
    log_file: object


@dataclass
class Measurement:
    """One load run: `requests` are requests (wrk) or complete new connections (tls_load)."""
    requests: int
    cpu_seconds: float
    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    socket_errors: int
    non_3xx_responses: int

    @property
    def requests_per_cpu_second(self):
        return self.requests / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")


@dataclass
class IdleMeasurement:
    """One server holding `connections` idle connections, against its memory just before."""
    connections: int
    errors: int
    closed_during_hold: int
    setup_seconds: float
    rss_before: int
    rss_after: int
    anon_before: int
    anon_after: int

    @property
    def bytes_per_connection(self):
        return (self.rss_after - self.rss_before) / self.connections if self.connections else 0.0


# ---------------------------------------------------------------------------------------------
# Configurations


def nginx_config(directory, port, tls=None, tls_port=0, max_connections=0):
    events = "worker_connections 4096;"
    head = ""
    tls_server = ""
    if tls is not None:
        events = f"worker_connections {max_connections};"
        head = f"worker_rlimit_nofile {min(2 * max_connections, open_file_limit())};\n"
        # Session cache and tickets off: every handshake the client starts is a full one.
        tls_server = f"""    server {{
        listen {LISTEN_ADDRESS}:{tls_port} ssl reuseport;
        ssl_certificate {tls.fullchain};
        ssl_certificate_key {tls.privkey};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers {TLS12_CIPHERS};
        ssl_conf_command Ciphersuites {TLS13_SUITES};
        ssl_prefer_server_ciphers on;
        ssl_ecdh_curve {TLS_GROUPS.replace("P-256", "prime256v1")};
        ssl_session_cache off;
        ssl_session_tickets off;
        default_type text/plain;
        return 200 "ok\\n";
    }}
"""
    return f"""daemon off;
master_process on;
worker_processes 1;
{head}pid {directory}/nginx.pid;
error_log stderr warn;
events {{ {events} }}
http {{
    access_log off;
    server_tokens off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_body_temp_path {directory}/nginx-client-body;
    proxy_temp_path {directory}/nginx-proxy;
    fastcgi_temp_path {directory}/nginx-fastcgi;
    uwsgi_temp_path {directory}/nginx-uwsgi;
    scgi_temp_path {directory}/nginx-scgi;
    server {{
        listen {LISTEN_ADDRESS}:{port} reuseport;
        return 301 https://$host$request_uri;
    }}
{tls_server}}}
"""


def haproxy_config(port, tls=None, tls_port=0, max_connections=0):
    maxconn = max_connections if tls is not None else 4096
    tls_global = ""
    tls_frontend = ""
    if tls is not None:
        # HAProxy counts two files per connection (a client and a server side) and by default
        # refuses to start when it cannot have them all; with no backends one is enough, so
        # below that limit (no CAP_SYS_RESOURCE to raise it) it is told to start anyway.
        files = min(2 * maxconn + 100, open_file_limit())
        relaxed = "    no strict-limits\n" if files < 2 * maxconn + 100 else ""
        # No session cache and no tickets: every handshake the client starts is a full one.
        tls_global = f"""{relaxed}    ulimit-n {files}
    tune.ssl.cachesize 0
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers {TLS12_CIPHERS}
    ssl-default-bind-ciphersuites {TLS13_SUITES}
    ssl-default-bind-curves {TLS_GROUPS}
"""
        tls_frontend = f"""
frontend tls
    bind {LISTEN_ADDRESS}:{tls_port} ssl crt {tls.combined} alpn http/1.1 no-tls-tickets
    http-request return status 200 content-type text/plain string "ok\\n"
"""
    return f"""global
    nbthread 1
    maxconn {maxconn}
{tls_global}
defaults
    mode http
    maxconn {maxconn}
    option http-keep-alive
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    timeout http-request 300s

frontend redirect
    bind {LISTEN_ADDRESS}:{port}
    http-request redirect scheme https code 301
{tls_frontend}"""


def ringway_config(port, acme_webroot, tls=None, tls_port=0, max_connections=0):
    if tls is None:
        return f"""workers = 1
[http]
listen = ["{LISTEN_ADDRESS}:{port}"]
acme_webroot = "{acme_webroot}"
redirect_port = 443
[log]
access = "off"
"""
    # ringway has no switch for session tickets: it always issues them. The load client never
    # offers one back, so its handshakes are full ones all the same (see bench/README.md).
    limits = (f"[limits]\nconnections_per_worker = {max_connections}\n"
              if max_connections > RINGWAY_DEFAULT_CONNECTIONS else "")
    return f"""workers = 1
[http]
listen = ["{LISTEN_ADDRESS}:{port}"]
acme_webroot = "{acme_webroot}"
redirect_port = 443
[https]
listen = ["{LISTEN_ADDRESS}:{tls_port}"]
[[site]]
hosts = ["{REQUEST_HOST}"]
certificate = "{tls.live_directory}"
status = 200
{limits}[log]
access = "off"
"""


def server_spec(name, port, directory, options, tls=None, tls_port=0):
    """The command line for one server, with its config written into the temp directory.

    With `tls`, nginx, HAProxy and ringway also listen for HTTPS on tls_port and answer every
    request there with 200 "ok\\n"; the plain port keeps the redirect."""
    log_path = directory / f"{name}.log"
    max_connections = options.idle_connections + 1024
    if name == "nginx":
        config_path = directory / "nginx.conf"
        config_path.write_text(nginx_config(directory, port, tls, tls_port, max_connections))
        command = ["nginx", "-e", "stderr", "-p", str(directory), "-c", str(config_path)]
    elif name == "haproxy":
        config_path = directory / "haproxy.cfg"
        config_path.write_text(haproxy_config(port, tls, tls_port, max_connections))
        command = ["haproxy", "-db", "-f", str(config_path)]
    elif name == "ringway":
        acme_webroot = directory / "acme-webroot"
        acme_webroot.mkdir(exist_ok=True)
        config_path = directory / "ringway.toml"
        config_path.write_text(ringway_config(port, acme_webroot, tls, tls_port,
                                              max_connections))
        command = [str(options.ringway), "run", "--config", str(config_path)]
    else:
        command = [str(options.floor), "--address", LISTEN_ADDRESS, "--port", str(port),
                   "--location-bytes", str(len(EXPECTED_LOCATION))]
        if name == "floor-simple":
            command.append("--simple")
    return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command], log_path, tls_port)


def make_certificate(directory):
    """A P-256 CA and a P-256 leaf for localhost it signs, in certbot's live/<name> layout."""
    live = directory / "live" / REQUEST_HOST
    live.mkdir(parents=True)
    ca_key, ca = directory / "ca-key.pem", directory / "ca.pem"
    leaf_request, leaf = directory / "leaf.csr", directory / "leaf.pem"
    extensions = directory / "leaf.ext"
    extensions.write_text(f"subjectAltName=DNS:{REQUEST_HOST},IP:{LISTEN_ADDRESS}\n"
                          "basicConstraints=critical,CA:FALSE\n"
                          "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    commands = [
        ["openssl", "req", "-x509", *new_key, "-keyout", ca_key, "-out", ca, "-days", "7",
         "-subj", "/CN=ringway bench CA"],
        ["openssl", "req", *new_key, "-keyout", live / "privkey.pem", "-out", leaf_request,
         "-subj", f"/CN={REQUEST_HOST}"],
        ["openssl", "x509", "-req", "-in", leaf_request, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "7", "-extfile", extensions, "-out", leaf],
    ]
    for command in commands:
        try:
            result = subprocess.run([str(part) for part in command], capture_output=True,
                                    text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HarnessError(f"openssl could not make the certificate: {error}") from error
        if result.returncode != 0:
            raise HarnessError(f"openssl failed: {' '.join(map(str, command))}\n{result.stderr}")
    fullchain = live / "fullchain.pem"
    fullchain.write_text(leaf.read_text() + ca.read_text())
    combined = directory / "haproxy.pem"
    combined.write_text((live / "privkey.pem").read_text() + fullchain.read_text())
    return TlsFiles(live, fullchain, live / "privkey.pem", combined, ca)


# ---------------------------------------------------------------------------------------------
# Processes


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LISTEN_ADDRESS, 0))
        return probe.getsockname()[1]


def open_file_limit():
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_file_limit(wanted):
    """Servers and clients inherit this; 10,000 idle connections need more than 1024 files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))  # as root
            return
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def process_tree(root_pid):
    """root_pid and all its descendants that are alive now."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent_pid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(parent_pid, []).append(int(entry))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def cpu_seconds(root_pid):
    """utime+stime of the server and its children (nginx's worker), all threads included."""
    total_ticks = 0
    for pid in process_tree(root_pid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total_ticks += int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15
    return total_ticks / CLOCK_TICKS_PER_SECOND


def memory_bytes(root_pid):
    """VmRSS and RssAnon summed over the server and its children (nginx's master and worker)."""
    rss = anonymous = 0
    for pid in process_tree(root_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("RssAnon:"):
                anonymous += int(line.split()[1]) * 1024
    return rss, anonymous


def log_tail(path, lines=15):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_listening(server):
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    ports = [port for port in (server.spec.port, server.spec.tls_port) if port]
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise HarnessError(f"{server.spec.name} exited with status {server.process.returncode}"
                               f" before listening:\n{log_tail(server.spec.log_path)}")
        with contextlib.suppress(OSError):
            for port in ports:
                with socket.create_connection((LISTEN_ADDRESS, port), timeout=0.5):
                    pass
            return
        time.sleep(0.05)
    raise HarnessError(f"{server.spec.name} did not listen on port(s) "
                       f"{', '.join(map(str, ports))} within {READY_TIMEOUT_SECONDS:.0f} s:\n"
                       f"{log_tail(server.spec.log_path)}")


def stop_server(server):
    """SIGTERM by PID, SIGKILL after a bounded wait; leftover children are killed by PID too."""
    tree = process_tree(server.process.pid) if server.process.poll() is None else []
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    for pid in tree[1:]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.log_file.close()


@contextlib.contextmanager
def started_server(spec):
    log_file = open(spec.log_path, "wb")
    try:
        process = subprocess.Popen(spec.command, stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    except OSError as error:
        log_file.close()
        raise HarnessError(f"{spec.name} could not start: {error}") from error
    server = RunningServer(spec, process, log_file)
    try:
        wait_until_listening(server)
        yield server
    finally:
        stop_server(server)


def check_alive(server):
    if server.process.poll() is not None:
        raise HarnessError(f"{server.spec.name} exited during the run:\n"
                           f"{log_tail(server.spec.log_path)}")


# ---------------------------------------------------------------------------------------------
# Checks


def check_response(server):
    """One request before any load: the server must answer the scenario with its 301."""
    connection = http.client.HTTPConnection(LISTEN_ADDRESS, server.spec.port, timeout=5)
    try:
        connection.request("GET", REQUEST_PATH, headers={"Host": REQUEST_HOST})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        raise HarnessError(f"{server.spec.name}: request failed: {error}") from error
    finally:
        connection.close()
    location = response.getheader("Location", "")
    # The floor only matches the size of the Location, not its text.
    location_ok = (len(location) == len(EXPECTED_LOCATION) if server.spec.name.startswith("floor")
                   else location == EXPECTED_LOCATION)
    if response.status != 301 or not location_ok:
        raise HarnessError(f"{server.spec.name}: expected 301 to {EXPECTED_LOCATION}, got "
                           f"{response.status} with Location {location!r}")


def tls_exchange(context, port, session=None):
    """One HTTPS request with Connection: close, read to the end; the TLS socket's facts."""
    with socket.create_connection((LISTEN_ADDRESS, port), timeout=5) as plain:
        with context.wrap_socket(plain, server_hostname=REQUEST_HOST, session=session) as tls:
            tls.sendall(f"GET {TLS_PATH} HTTP/1.1\r\nHost: {REQUEST_HOST}\r\n"
                        "Connection: close\r\n\r\n".encode())
            response = b""
            while chunk := tls.recv(65536):
                response += chunk
            return {"response": response, "version": tls.version(), "cipher": tls.cipher()[0],
                    "alpn": tls.selected_alpn_protocol(), "session": tls.session,
                    "reused": tls.session_reused}


def check_tls_response(server, tls):
    """Before any load: the certificate (verified for localhost against the harness's CA),
    TLS 1.3 with ALPN http/1.1, a 200 with "ok\\n"; then whether the server resumes a session
    offered back to it (with cache and tickets off it should not; ringway always issues
    tickets). The load clients never offer one."""
    context = ssl.create_default_context(cafile=str(tls.ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["http/1.1"])
    name = server.spec.name
    try:
        first = tls_exchange(context, server.spec.tls_port)
        head, _, body = first["response"].partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 ") or body != TLS_BODY:
            raise HarnessError(f"{name}: expected 200 with {TLS_BODY!r} over HTTPS, got "
                               f"{first['response'][:200]!r}")
        second = tls_exchange(context, server.spec.tls_port, first["session"])
    except (OSError, ssl.SSLError) as error:
        raise HarnessError(f"{name}: HTTPS request failed: {error}") from error
    if first["version"] != "TLSv1.3" or first["alpn"] != "http/1.1":
        raise HarnessError(f"{name}: expected TLSv1.3 with ALPN http/1.1, got "
                           f"{first['version']} with {first['alpn']}")
    return {"version": first["version"], "cipher_openssl_client": first["cipher"],
            "alpn": first["alpn"], "resumes_offered_session": second["reused"]}


# ---------------------------------------------------------------------------------------------
# Load


def latency_milliseconds(text, percentile):
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        raise HarnessError(f"wrk output has no {percentile}% latency line:\n{text}")
    return float(match.group(1)) * LATENCY_UNITS_TO_MILLISECONDS[match.group(2)]


def parse_wrk(text, server_cpu_seconds):
    """A Measurement from `wrk --latency` output and the server's CPU time over the run."""
    requests = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not requests or not rate:
        raise HarnessError(f"unexpected wrk output:\n{text}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       text)
    non_3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return Measurement(
        requests=int(requests.group(1)),
        cpu_seconds=server_cpu_seconds,
        requests_per_second=float(rate.group(1)),
        latency_p50_ms=latency_milliseconds(text, 50),
        latency_p99_ms=latency_milliseconds(text, 99),
        socket_errors=sum(int(count) for count in errors.groups()) if errors else 0,
        non_3xx_responses=int(non_3xx.group(1)) if non_3xx else 0)


def run_wrk(url, duration_seconds, connections):
    command = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}",
               f"-d{duration_seconds}s", "--latency", "-H", f"Host: {REQUEST_HOST}", url]
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=duration_seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise HarnessError("wrk did not finish in time") from error
    if result.returncode != 0:
        raise HarnessError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def tls_load_command(options, arguments):
    return ["taskset", "-c", CLIENT_CPU, str(options.tls_load), *map(str, arguments)]


def run_tls_load(options, arguments, timeout):
    """bench/tls_load's JSON result; a failure to run it at all is an error."""
    try:
        result = subprocess.run(tls_load_command(options, arguments), capture_output=True,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise HarnessError("tls_load did not finish in time") from error
    if result.returncode != 0:
        raise HarnessError(f"tls_load failed ({result.returncode}):\n{result.stderr}")
    try:
        return json.loads(result.stdout)
    except ValueError as error:
        raise HarnessError(f"unexpected tls_load output:\n{result.stdout}{result.stderr}") \
            from error


def handshake_measurement(result, server_cpu_seconds):
    """A Measurement from `tls_load handshake`: each request is a whole new connection."""
    if result["resumed"]:
        # Never expected (the client offers no session): the figure would not be full handshakes.
        raise HarnessError(f"tls_load reports {result['resumed']} resumed handshakes")
    return Measurement(
        requests=result["completed"],
        cpu_seconds=server_cpu_seconds,
        requests_per_second=round(result["completed"] / result["seconds"], 1),
        latency_p50_ms=result["latency_p50_ms"],
        latency_p99_ms=result["latency_p99_ms"],
        socket_errors=result["errors"] - result["bad_status"],
        non_3xx_responses=result["bad_status"])


def measure(scenario, server, duration_seconds, connections, options, facts=None):
    """One load run against a started server, with the server's CPU time around it."""
    cpu_before = cpu_seconds(server.process.pid)
    if scenario == "tls-handshake":
        result = run_tls_load(options, ["handshake", "--port", server.spec.tls_port,
                                        "--concurrency", connections,
                                        "--duration", duration_seconds],
                              timeout=duration_seconds + 30)
    elif scenario == "tls-keepalive":
        output = run_wrk(f"https://{REQUEST_HOST}:{server.spec.tls_port}{TLS_PATH}",
                         duration_seconds, connections)
    else:
        output = run_wrk(f"http://{LISTEN_ADDRESS}:{server.spec.port}{REQUEST_PATH}",
                         duration_seconds, connections)
    cpu_after = cpu_seconds(server.process.pid)
    check_alive(server)
    # Clock ticks are 10 ms: three decimals keep the JSON free of float noise.
    cpu = round(cpu_after - cpu_before, 3)
    if scenario == "tls-handshake":
        if facts is not None and result["tls"]["version"]:
            facts.update(negotiated_by_tls_load=result["tls"])
        if result["first_error"] and options.verbose_errors:
            print(f"{server.spec.name}: first tls_load error: {result['first_error']}",
                  file=sys.stderr)
        return handshake_measurement(result, cpu)
    return parse_wrk(output, cpu)


def check_clean(name, measurement, strict):
    """Errors or bad answers mean a broken server: fatal in smoke mode, noted otherwise."""
    if measurement.socket_errors == 0 and measurement.non_3xx_responses == 0:
        return
    message = (f"{name}: the load saw {measurement.socket_errors} socket errors and "
               f"{measurement.non_3xx_responses} non-2xx/3xx responses")
    if strict:
        raise HarnessError(message)
    print(f"warning: {message}", file=sys.stderr)


def read_json_line(process, timeout, what, stderr_path):
    """The next JSON line tls_load writes, waiting at most timeout seconds for it."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line:
        raise HarnessError(f"tls_load gave no {what} line within {timeout:.0f} s (status "
                           f"{process.poll()}):\n{log_tail(stderr_path)}")
    try:
        return json.loads(line)
    except ValueError as error:
        raise HarnessError(f"unexpected tls_load output: {line}") from error


def measure_idle(options, name, directory, tls, plain):
    """A fresh server: warm it, note its memory, open the idle connections, note it again.

    A fresh process each time, since memory freed by an earlier batch of connections would be
    reused by the next one and hide its cost."""
    spec = server_spec(name, free_port(), directory, options, tls, free_port())
    port = spec.port if plain else spec.tls_port
    kind = ["--plain", "--path", REQUEST_PATH] if plain else ["--path", TLS_PATH]
    label = f"{name} ({'plain' if plain else 'TLS'} idle)"
    stderr_path = directory / f"tls_load-{name}.log"
    with started_server(spec) as server:
        # Lazy initialisation (the first handshake, the allocator's first arenas) is not a
        # per-connection cost.
        warm = run_tls_load(options, ["handshake", "--port", port, "--concurrency", 4,
                                      "--duration", IDLE_WARMUP_SECONDS, *kind], timeout=30)
        if warm["errors"]:
            check_clean(label, Measurement(warm["completed"], 0, 0, 0, 0, warm["errors"], 0),
                        options.smoke)
        time.sleep(0.5)
        rss_before, anon_before = memory_bytes(server.process.pid)
        with open(stderr_path, "wb") as stderr_file:
            client = subprocess.Popen(
                tls_load_command(options, ["idle", "--port", port, "--connections",
                                           options.idle_connections, *kind]),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file, text=True)
        try:
            ready = read_json_line(client, 60 + options.idle_connections / 200, "ready",
                                   stderr_path)
            time.sleep(IDLE_SETTLE_SECONDS)
            check_alive(server)
            rss_after, anon_after = memory_bytes(server.process.pid)
            client.stdin.close()
            done = read_json_line(client, 30, "done", stderr_path)
            client.wait(timeout=30)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        check_alive(server)
    if ready["resumed"]:
        raise HarnessError(f"{label}: tls_load reports {ready['resumed']} resumed handshakes")
    measurement = IdleMeasurement(
        connections=ready["completed"], errors=ready["errors"],
        closed_during_hold=done["closed_during_hold"], setup_seconds=ready["seconds"],
        rss_before=rss_before, rss_after=rss_after, anon_before=anon_before,
        anon_after=anon_after)
    problems = []
    if measurement.errors:
        problems.append(f"{measurement.errors} of {options.idle_connections} connections failed"
                        f" (first: {ready['first_error']})")
    if measurement.closed_during_hold:
        problems.append(f"the server closed {measurement.closed_during_hold} idle connections")
    if measurement.connections == 0:
        raise HarnessError(f"{label}: no connection opened: {ready['first_error']}")
    if problems:
        message = f"{label}: {'; '.join(problems)}"
        if options.smoke:
            raise HarnessError(message)
        print(f"warning: {message}", file=sys.stderr)
    return measurement


# ---------------------------------------------------------------------------------------------
# Reporting


def median_measurement(rounds):
    return {
        "requests_per_cpu_second": statistics.median(m.requests_per_cpu_second for m in rounds),
        "requests_per_second": statistics.median(m.requests_per_second for m in rounds),
        "cpu_seconds": statistics.median(m.cpu_seconds for m in rounds),
        "latency_p50_ms": statistics.median(m.latency_p50_ms for m in rounds),
        "latency_p99_ms": statistics.median(m.latency_p99_ms for m in rounds),
        "socket_errors": sum(m.socket_errors for m in rounds),
        "non_3xx_responses": sum(m.non_3xx_responses for m in rounds),
    }


def ratio_matrix(results):
    """ratios[a][b]: median over rounds of a's requests per CPU-second over b's, same round."""
    names = list(results)
    return {
        a: {
            b: statistics.median(ra.requests_per_cpu_second / rb.requests_per_cpu_second
                                 for ra, rb in zip(results[a], results[b]))
            for b in names if b != a
        }
        for a in names
    }


def target_checks(scenario, ringway_ratios):
    """The issue's targets for this scenario, against the ratios measured."""
    checks = []
    for peer, (relation, goal) in TARGETS.get(scenario, {}).items():
        value = ringway_ratios.get(peer)
        if value is None:
            continue
        met = value >= goal if relation == ">=" else value <= goal
        checks.append({"ratio": f"ringway/{peer}", "target": f"{relation} {goal:.2f}",
                       "value": round(value, 3), "met": met})
    return checks


def print_targets(checks):
    for check in checks:
        print(f"target: {check['ratio']} {check['target']}: {check['value']:.2f} "
              f"({'met' if check['met'] else 'NOT met'})")


UNITS = {"redirect": ("req/CPU-s", "requests", "request"),
         "tls-keepalive": ("req/CPU-s", "requests", "request"),
         "tls-handshake": ("conn/CPU-s", "new connections", "handshake")}


def print_report(scenario, medians, ratios, skipped, facts):
    unit, plural, singular = UNITS[scenario]
    print(f"\n== {scenario}")
    print(f"{'server':<14}{unit:>12}{'/s':>12}{'CPU-s/run':>11}"
          f"{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, median in medians.items():
        print(f"{name:<14}{median['requests_per_cpu_second']:>12,.0f}"
              f"{median['requests_per_second']:>12,.0f}{median['cpu_seconds']:>11.2f}"
              f"{median['latency_p50_ms']:>9.3f}{median['latency_p99_ms']:>9.3f}"
              f"{median['socket_errors'] + median['non_3xx_responses']:>8}")
    for name in skipped:
        print(f"{name:<14}skipped: {skipped[name]}")
    for name, fact in facts.items():
        negotiated = fact.get("negotiated_by_tls_load")
        line = (f"{name:<14}{fact['version']}, {fact['cipher_openssl_client']} (OpenSSL client),"
                f" ALPN {fact['alpn']}, resumes an offered session: "
                f"{'yes' if fact['resumes_offered_session'] else 'no'}")
        if negotiated:
            line += f"; tls_load: {negotiated['cipher']}, {negotiated['group']}"
        print(line)
    if len(ratios) > 1:
        names = list(ratios)
        print(f"\n{plural} per CPU-second, row / column (median of per-round ratios;"
              f" > 1: the row costs less CPU per {singular})")
        print(f"{'':<14}" + "".join(f"{name:>14}" for name in names))
        for a in names:
            cells = "".join(f"{'-':>14}" if a == b else f"{ratios[a][b]:>14.2f}" for b in names)
            print(f"{a:<14}{cells}")
    if "ringway" in ratios:
        print()
        for peer, ratio in ratios["ringway"].items():
            print(f"ringway vs {peer}: {ratio:.2f}x the {plural} per CPU-second"
                  f" ({100 / ratio:.0f}% of {peer}'s CPU per {singular})")


def measurement_json(measurement):
    return dict(asdict(measurement),
                requests_per_cpu_second=round(measurement.requests_per_cpu_second, 1))


def idle_json(measurement):
    return dict(asdict(measurement),
                bytes_per_connection=round(measurement.bytes_per_connection, 1))


# ---------------------------------------------------------------------------------------------
# Scenarios


def scenario_servers(scenario, names, skipped):
    """The servers a scenario runs: the floors answer only the redirect."""
    if scenario == "redirect":
        return list(names), dict(skipped)
    chosen = [name for name in names if name in TLS_SERVER_NAMES]
    left_out = {name: reason for name, reason in skipped.items() if name in TLS_SERVER_NAMES}
    return chosen, left_out


def run_rate_scenario(options, scenario, names, skipped, directory, tls):
    """Interleaved rounds of one load against every server, all started once."""
    if not names:
        raise HarnessError(f"{scenario}: no server to measure")
    warmup_seconds = max(1, min(WARMUP_SECONDS_MAX, options.duration // 2))
    results = {name: [] for name in names}
    facts = {}
    with contextlib.ExitStack() as stack:
        servers = {}
        for name in names:
            spec = server_spec(name, free_port(), directory, options, tls,
                               free_port() if tls is not None else 0)
            servers[name] = stack.enter_context(started_server(spec))
            if tls is None:
                check_response(servers[name])
            else:
                facts[name] = check_tls_response(servers[name], tls)
            print(f"{scenario}: {name}: started (pid {servers[name].process.pid}), warming up",
                  file=sys.stderr)
            check_clean(name, measure(scenario, servers[name], warmup_seconds,
                                      options.connections, options, facts.get(name)),
                        options.smoke)
        # Interleaved rounds: drift from other load on the machine spreads over every server.
        for round_index in range(options.rounds):
            for name in names:
                measurement = measure(scenario, servers[name], options.duration,
                                      options.connections, options)
                check_clean(name, measurement, options.smoke)
                results[name].append(measurement)
                print(f"{scenario}: round {round_index + 1}/{options.rounds} {name}: "
                      f"{measurement.requests_per_cpu_second:,.0f} {UNITS[scenario][0]}, "
                      f"{measurement.requests_per_second:,.0f}/s", file=sys.stderr)
    medians = {name: median_measurement(results[name]) for name in names}
    ratios = ratio_matrix(results)
    targets = target_checks(scenario, ratios.get("ringway", {}))
    print_report(scenario, medians, ratios, skipped, facts)
    print_targets(targets)
    document = {
        "servers": {name: {"median": medians[name],
                           "rounds": [measurement_json(m) for m in results[name]]}
                    for name in names},
        "ratios": ratios, "targets": targets, "skipped": skipped,
    }
    if facts:
        document["tls"] = facts
    return document


def median_or_none(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def idle_ratio(a, b):
    """a's bytes per connection over b's, or None where b's growth was not above zero."""
    return (a.bytes_per_connection / b.bytes_per_connection
            if b.bytes_per_connection > 0 else None)


def run_idle_scenario(options, names, skipped, directory, tls):
    """Rounds of: each server, fresh, holding N idle TLS connections, then N plain ones."""
    if not names:
        raise HarnessError("tls-idle-memory: no server to measure")
    kinds = ("tls", "plain")
    results = {name: {kind: [] for kind in kinds} for name in names}
    for name in names:
        # One request by hand first, as in the other scenarios.
        spec = server_spec(name, free_port(), directory, options, tls, free_port())
        with started_server(spec) as server:
            check_tls_response(server, tls)
            check_response(server)
    for round_index in range(options.rounds):
        for name in names:
            for kind in kinds:
                measurement = measure_idle(options, name, directory, tls, kind == "plain")
                results[name][kind].append(measurement)
                print(f"tls-idle-memory: round {round_index + 1}/{options.rounds} {name} {kind}:"
                      f" {measurement.bytes_per_connection:,.0f} bytes per idle connection "
                      f"({measurement.connections} connections, RSS "
                      f"{measurement.rss_before / 2**20:.1f} -> "
                      f"{measurement.rss_after / 2**20:.1f} MiB)", file=sys.stderr)
    medians = {name: {f"{kind}_bytes_per_connection":
                      statistics.median(m.bytes_per_connection for m in results[name][kind])
                      for kind in kinds} for name in names}
    ratios = {kind: {a: {b: median_or_none(idle_ratio(ra, rb) for ra, rb in
                                            zip(results[a][kind], results[b][kind]))
                         for b in names if b != a} for a in names} for kind in kinds}
    targets = target_checks("tls-idle-memory", ratios["tls"].get("ringway", {}))
    print(f"\n== tls-idle-memory ({options.idle_connections} idle connections; growth of the "
          "server's RSS, all its processes)")
    print(f"{'server':<14}{'TLS B/conn':>12}{'plain B/conn':>14}{'TLS RSS MiB':>18}{'errors':>8}")
    for name in names:
        tls_rounds = results[name]["tls"]
        middle = sorted(tls_rounds, key=lambda m: m.bytes_per_connection)[len(tls_rounds) // 2]
        errors = sum(m.errors + m.closed_during_hold for kind in kinds
                     for m in results[name][kind])
        print(f"{name:<14}{medians[name]['tls_bytes_per_connection']:>12,.0f}"
              f"{medians[name]['plain_bytes_per_connection']:>14,.0f}"
              f"{middle.rss_before / 2**20:>9.1f} -> {middle.rss_after / 2**20:>5.1f}"
              f"{errors:>8}")
    for name in skipped:
        print(f"{name:<14}skipped: {skipped[name]}")
    if "ringway" in names:
        print()
        for kind in kinds:
            for peer, ratio in ratios[kind]["ringway"].items():
                if ratio is not None:
                    print(f"ringway vs {peer}, idle {kind}: {ratio:.2f}x the bytes per "
                          "connection")
    print_targets(targets)
    return {
        "connections": options.idle_connections,
        "servers": {name: {"median": medians[name],
                           "rounds": {kind: [idle_json(m) for m in results[name][kind]]
                                      for kind in kinds}}
                    for name in names},
        "ratios": ratios, "targets": targets, "skipped": skipped,
    }


# ---------------------------------------------------------------------------------------------
# Driver


def parse_options(arguments):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=(*SCENARIOS, "all"),
                        help="what to measure (redirect; with --smoke: all)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run (10)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of all servers (5)")
    parser.add_argument("--connections", type=int, default=64,
                        help="concurrent connections of wrk and tls_load (64)")
    parser.add_argument("--idle-connections", type=int, default=IDLE_CONNECTIONS,
                        help=f"idle connections per server in tls-idle-memory ({IDLE_CONNECTIONS})")
    parser.add_argument("--smoke", action="store_true",
                        help=f"CI check: {SMOKE_ROUNDS} round of {SMOKE_DURATION_SECONDS} s, "
                             f"{SMOKE_IDLE_CONNECTIONS} idle connections, every scenario unless "
                             "--scenario says; fails on broken servers, never on numbers")
    parser.add_argument("--ringway", type=Path, default=REPO_ROOT / "build" / "ringway")
    parser.add_argument("--floor", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "floor_responder")
    parser.add_argument("--tls-load", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "tls_load")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SERVER_NAMES)}")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--verbose-errors", action="store_true",
                        help="print tls_load's first error of every run")
    options = parser.parse_args(arguments)
    if options.smoke:
        options.rounds, options.duration = SMOKE_ROUNDS, SMOKE_DURATION_SECONDS
        options.idle_connections = min(options.idle_connections, SMOKE_IDLE_CONNECTIONS)
    scenario = options.scenario or ("all" if options.smoke else "redirect")
    options.scenarios = SCENARIOS if scenario == "all" else (scenario,)
    options.names = SERVER_NAMES
    if options.only:
        options.names = tuple(name.strip() for name in options.only.split(",") if name.strip())
        unknown = set(options.names) - set(SERVER_NAMES)
        if unknown:
            parser.error(f"unknown server(s) {', '.join(sorted(unknown))}; "
                         f"choose from {','.join(SERVER_NAMES)}")
    if (options.rounds < 1 or options.duration < 1 or options.connections < 1
            or options.idle_connections < 1):
        parser.error("--rounds, --duration, --connections and --idle-connections must be "
                     "positive")
    return options


def display_path(path):
    """Paths inside the repository relative to its root, as the README writes them."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def select_servers(options):
    """The servers to run, and the ones skipped because their binary is not built."""
    binaries = {"ringway": options.ringway, "floor": options.floor,
                "floor-simple": options.floor}
    names, skipped = [], {}
    for name in options.names:
        binary = binaries.get(name)
        if binary is not None and not binary.is_file():
            shown = display_path(binary)
            if options.smoke:
                raise HarnessError(f"{name}: {shown} not found (build it first)")
            skipped[name] = f"{shown} not found"
            print(f"{name}: skipped: {shown} not found", file=sys.stderr)
            continue
        names.append(name)
    return names, skipped


def runnable_scenarios(options):
    """The scenarios to run, and the ones that cannot run without bench/tls_load."""
    needs_client = {"tls-handshake", "tls-idle-memory"}
    if options.tls_load.is_file() or not needs_client & set(options.scenarios):
        return list(options.scenarios), {}
    shown = display_path(options.tls_load)
    if options.smoke:
        raise HarnessError(f"{shown} not found (build it first)")
    left_out = {scenario: f"{shown} not found" for scenario in options.scenarios
                if scenario in needs_client}
    for scenario, reason in left_out.items():
        print(f"{scenario}: skipped: {reason}", file=sys.stderr)
    return [scenario for scenario in options.scenarios if scenario not in left_out], left_out


def run_benchmark(options):
    names, skipped = select_servers(options)
    scenarios, skipped_scenarios = runnable_scenarios(options)
    raise_open_file_limit(2 * options.idle_connections + 4096)
    documents = {}
    with tempfile.TemporaryDirectory(prefix="ringway-bench-") as temp:
        directory = Path(temp)
        tls = make_certificate(directory) if any(s != "redirect" for s in scenarios) else None
        for scenario in scenarios:
            scenario_directory = directory / scenario
            scenario_directory.mkdir()
            chosen, left_out = scenario_servers(scenario, names, skipped)
            if scenario == "tls-idle-memory":
                documents[scenario] = run_idle_scenario(options, chosen, left_out,
                                                        scenario_directory, tls)
            else:
                documents[scenario] = run_rate_scenario(
                    options, scenario, chosen, left_out, scenario_directory,
                    tls if scenario != "redirect" else None)
    print()
    if options.json:
        write_json(options.json, options, documents, skipped_scenarios)


def write_json(path, options, documents, skipped_scenarios):
    if "redirect" in documents:
        documents["redirect"]["scenario"] = {"request": f"GET {REQUEST_PATH}",
                                             "host": REQUEST_HOST,
                                             "expected_location": EXPECTED_LOCATION}
    document = {
        "settings": {"rounds": options.rounds, "duration_seconds": options.duration,
                     "connections": options.connections,
                     "idle_connections": options.idle_connections, "wrk_threads": 1,
                     "server_cpu": SERVER_CPU, "client_cpu": CLIENT_CPU},
        "scenarios": documents,
        "skipped_scenarios": skipped_scenarios,
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n")


def main(arguments):
    options = parse_options(arguments)
    try:
        run_benchmark(options)
    except HarnessError as error:
        print(f"harness: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""ringway against nginx, HAProxy and the io_uring floor: requests per server CPU-second.

Every server answers the "redirect" scenario (plain HTTP keepalive, `GET /some/path` with
`Host: localhost`, a 301 to https://localhost/some/path). Each runs pinned to CPU 0 with one
worker or thread; wrk runs pinned to CPU 1. The figure that matters is requests divided by
the server's own utime+stime, which stays meaningful on a shared, noisy machine where
requests per second do not. See bench/README.md.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import socket
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
READY_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 5.0
SMOKE_ROUNDS = 1
SMOKE_DURATION_SECONDS = 2
WARMUP_SECONDS_MAX = 2
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
LATENCY_UNITS_TO_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class HarnessError(Exception):
    """A failure that makes the measurement meaningless: a server, wrk or a response."""


@dataclass
class ServerSpec:
    name: str
    port: int
    command: list
    log_path: Path


@dataclass
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen
    log_file: object


@dataclass
class Measurement:
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


# ---------------------------------------------------------------------------------------------
# Configurations


def nginx_config(directory, port):
    return f"""daemon off;
master_process on;
worker_processes 1;
pid {directory}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
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
}}
"""


def haproxy_config(port):
    return f"""global
    nbthread 1
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    timeout http-request 300s

frontend redirect
    bind {LISTEN_ADDRESS}:{port}
    http-request redirect scheme https code 301
"""


def ringway_config(port, acme_webroot):
    return f"""workers = 1
[http]
listen = ["{LISTEN_ADDRESS}:{port}"]
acme_webroot = "{acme_webroot}"
redirect_port = 443
[log]
access = "off"
"""


def server_spec(name, port, directory, options):
    """The command line for one server, with its config written into the temp directory."""
    log_path = directory / f"{name}.log"
    if name == "nginx":
        config_path = directory / "nginx.conf"
        config_path.write_text(nginx_config(directory, port))
        command = ["nginx", "-e", "stderr", "-p", str(directory), "-c", str(config_path)]
    elif name == "haproxy":
        config_path = directory / "haproxy.cfg"
        config_path.write_text(haproxy_config(port))
        command = ["haproxy", "-db", "-f", str(config_path)]
    elif name == "ringway":
        acme_webroot = directory / "acme-webroot"
        acme_webroot.mkdir(exist_ok=True)
        config_path = directory / "ringway.toml"
        config_path.write_text(ringway_config(port, acme_webroot))
        command = [str(options.ringway), "run", "--config", str(config_path)]
    else:
        command = [str(options.floor), "--address", LISTEN_ADDRESS, "--port", str(port),
                   "--location-bytes", str(len(EXPECTED_LOCATION))]
        if name == "floor-simple":
            command.append("--simple")
    return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command], log_path)


# ---------------------------------------------------------------------------------------------
# Processes


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LISTEN_ADDRESS, 0))
        return probe.getsockname()[1]


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


def log_tail(path, lines=15):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_listening(server):
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise HarnessError(f"{server.spec.name} exited with status {server.process.returncode}"
                               f" before listening:\n{log_tail(server.spec.log_path)}")
        with contextlib.suppress(OSError):
            with socket.create_connection((LISTEN_ADDRESS, server.spec.port), timeout=0.5):
                return
        time.sleep(0.05)
    raise HarnessError(f"{server.spec.name} did not listen on port {server.spec.port} within "
                       f"{READY_TIMEOUT_SECONDS:.0f} s:\n{log_tail(server.spec.log_path)}")


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


# ---------------------------------------------------------------------------------------------
# Checks and measurement


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


def run_wrk(port, duration_seconds, connections):
    command = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}",
               f"-d{duration_seconds}s", "--latency", "-H", f"Host: {REQUEST_HOST}",
               f"http://{LISTEN_ADDRESS}:{port}{REQUEST_PATH}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=duration_seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise HarnessError("wrk did not finish in time") from error
    if result.returncode != 0:
        raise HarnessError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def measure(server, duration_seconds, connections):
    cpu_before = cpu_seconds(server.process.pid)
    output = run_wrk(server.spec.port, duration_seconds, connections)
    cpu_after = cpu_seconds(server.process.pid)
    if server.process.poll() is not None:
        raise HarnessError(f"{server.spec.name} exited during the run:\n"
                           f"{log_tail(server.spec.log_path)}")
    # Clock ticks are 10 ms: three decimals keep the JSON free of float noise.
    return parse_wrk(output, round(cpu_after - cpu_before, 3))


def check_clean(name, measurement, strict):
    """wrk errors or non-3xx answers mean a broken server: fatal in smoke mode, noted otherwise."""
    if measurement.socket_errors == 0 and measurement.non_3xx_responses == 0:
        return
    message = (f"{name}: wrk saw {measurement.socket_errors} socket errors and "
               f"{measurement.non_3xx_responses} non-2xx/3xx responses")
    if strict:
        raise HarnessError(message)
    print(f"warning: {message}", file=sys.stderr)


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


def print_report(medians, ratios, skipped):
    print()
    print(f"{'server':<14}{'req/CPU-s':>12}{'req/s':>12}{'CPU-s/run':>11}"
          f"{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, median in medians.items():
        print(f"{name:<14}{median['requests_per_cpu_second']:>12,.0f}"
              f"{median['requests_per_second']:>12,.0f}{median['cpu_seconds']:>11.2f}"
              f"{median['latency_p50_ms']:>9.3f}{median['latency_p99_ms']:>9.3f}"
              f"{median['socket_errors'] + median['non_3xx_responses']:>8}")
    for name in skipped:
        print(f"{name:<14}skipped: {skipped[name]}")
    if len(ratios) > 1:
        names = list(ratios)
        print("\nrequests per CPU-second, row / column (median of per-round ratios;"
              " > 1: the row costs less CPU per request)")
        print(f"{'':<14}" + "".join(f"{name:>14}" for name in names))
        for a in names:
            cells = "".join(f"{'-':>14}" if a == b else f"{ratios[a][b]:>14.2f}" for b in names)
            print(f"{a:<14}{cells}")
    if "ringway" in ratios:
        print()
        for peer, ratio in ratios["ringway"].items():
            print(f"ringway vs {peer}: {ratio:.2f}x the requests per CPU-second"
                  f" ({100 / ratio:.0f}% of {peer}'s CPU per request)")
    print()


def measurement_json(measurement):
    return dict(asdict(measurement),
                requests_per_cpu_second=round(measurement.requests_per_cpu_second, 1))


def write_json(path, options, results, medians, ratios, skipped):
    document = {
        "scenario": {"request": f"GET {REQUEST_PATH}", "host": REQUEST_HOST,
                     "expected_location": EXPECTED_LOCATION},
        "settings": {"rounds": options.rounds, "duration_seconds": options.duration,
                     "connections": options.connections, "wrk_threads": 1,
                     "server_cpu": SERVER_CPU, "client_cpu": CLIENT_CPU},
        "servers": {name: {"median": medians[name],
                           "rounds": [measurement_json(m) for m in results[name]]}
                    for name in results},
        "ratios": ratios,
        "skipped": skipped,
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------
# Driver


def parse_options(arguments):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of all servers (5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"CI check: {SMOKE_ROUNDS} round of {SMOKE_DURATION_SECONDS} s; "
                             "fails on broken servers, never on numbers")
    parser.add_argument("--ringway", type=Path, default=REPO_ROOT / "build" / "ringway")
    parser.add_argument("--floor", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "floor_responder")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SERVER_NAMES)}")
    parser.add_argument("--json", help="also write the results to this file")
    options = parser.parse_args(arguments)
    if options.smoke:
        options.rounds, options.duration = SMOKE_ROUNDS, SMOKE_DURATION_SECONDS
    options.names = SERVER_NAMES
    if options.only:
        options.names = tuple(name.strip() for name in options.only.split(",") if name.strip())
        unknown = set(options.names) - set(SERVER_NAMES)
        if unknown:
            parser.error(f"unknown server(s) {', '.join(sorted(unknown))}; "
                         f"choose from {','.join(SERVER_NAMES)}")
    if options.rounds < 1 or options.duration < 1 or options.connections < 1:
        parser.error("--rounds, --duration and --connections must be positive")
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


def run_benchmark(options):
    names, skipped = select_servers(options)
    if not names:
        raise HarnessError("no server to measure")
    warmup_seconds = max(1, min(WARMUP_SECONDS_MAX, options.duration // 2))
    results = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="ringway-bench-") as temp, \
            contextlib.ExitStack() as stack:
        directory = Path(temp)
        servers = {}
        for name in names:
            spec = server_spec(name, free_port(), directory, options)
            servers[name] = stack.enter_context(started_server(spec))
            check_response(servers[name])
            print(f"{name}: started (pid {servers[name].process.pid}), warming up",
                  file=sys.stderr)
            check_clean(name, measure(servers[name], warmup_seconds, options.connections),
                        options.smoke)
        # Interleaved rounds: drift from other load on the machine spreads over every server.
        for round_index in range(options.rounds):
            for name in names:
                measurement = measure(servers[name], options.duration, options.connections)
                check_clean(name, measurement, options.smoke)
                results[name].append(measurement)
                print(f"round {round_index + 1}/{options.rounds} {name}: "
                      f"{measurement.requests_per_cpu_second:,.0f} req/CPU-s, "
                      f"{measurement.requests_per_second:,.0f} req/s", file=sys.stderr)
    medians = {name: median_measurement(results[name]) for name in names}
    ratios = ratio_matrix(results)
    print_report(medians, ratios, skipped)
    if options.json:
        write_json(options.json, options, results, medians, ratios, skipped)


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

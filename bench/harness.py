#!/usr/bin/env python3
"""ringway against nginx, HAProxy and the io_uring floor: work per server CPU-second, and memory.

Scenarios (--scenario): "redirect" (plain HTTP keepalive, `GET /some/path` with `Host:
localhost`, a 301 to https://localhost/some/path; all five servers), "tls-handshake" (new TLS 1.3
connections, every one a full handshake), "tls-keepalive" (small HTTPS keepalive responses) and
"tls-idle-memory" (bytes of server memory per idle TLS and plain HTTP connection); the TLS
scenarios run ringway, nginx and HAProxy with one ECDSA P-256 certificate. The proxy scenarios
("proxy-plain", "proxy-tls-1k", "proxy-tls-16k", "proxy-download", "proxy-latency"; "proxy" for
all five) run them as reverse proxies to one backend nginx (proxy_scenarios.py). Each server runs
pinned to CPU 0 with one worker or thread; the load runs pinned to CPU 1. The figure that matters
is work done divided by the server's own utime+stime, which stays meaningful on a shared, noisy
machine where requests per second do not. See bench/README.md.
"""

import argparse
import contextlib
import http.client
import json
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness_processes import (CLIENT_CPU, LISTEN_ADDRESS, REQUEST_HOST, SERVER_CPU,
                               HarnessError, ServerSpec, check_alive, free_port, log_tail,
                               memory_bytes, open_file_limit, raise_open_file_limit,
                               started_server, cpu_seconds)
from harness_report import (UNITS, median_measurement, measurement_json, print_report,
                            print_targets, ratio_matrix, target_checks)
from harness_configs import (haproxy_defaults, haproxy_tls_bind, haproxy_tls_global,
                             nginx_config_text, nginx_tls_directives, ringway_config_text,
                             server_command)
from harness_tls import TLS_PATH, check_tls_response, make_certificate
from harness_wrk import Measurement, check_clean, parse_wrk, run_wrk
from proxy_scenarios import PROXY_SCENARIOS, run_proxy_scenarios

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUEST_PATH = "/some/path"
EXPECTED_LOCATION = f"https://{REQUEST_HOST}{REQUEST_PATH}"
SERVER_NAMES = ("ringway", "nginx", "haproxy", "floor", "floor-simple")
TLS_SERVER_NAMES = ("ringway", "nginx", "haproxy")
SCENARIOS = ("redirect", "tls-handshake", "tls-keepalive", "tls-idle-memory", *PROXY_SCENARIOS)
SCENARIO_GROUPS = {"all": SCENARIOS, "proxy": PROXY_SCENARIOS}
SMOKE_ROUNDS = 1
SMOKE_DURATION_SECONDS = 2
SMOKE_IDLE_CONNECTIONS = 500
IDLE_CONNECTIONS = 10000
IDLE_SETTLE_SECONDS = 1.0
IDLE_WARMUP_SECONDS = 0.5
RINGWAY_DEFAULT_CONNECTIONS = 16384
WARMUP_SECONDS_MAX = 2


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
    worker_connections = 4096
    head = ""
    tls_server = ""
    if tls is not None:
        worker_connections = max_connections
        head = f"worker_rlimit_nofile {min(2 * max_connections, open_file_limit())};\n"
        # Session cache and tickets off: every handshake the client starts is a full one.
        tls_server = f"""    server {{
        listen {LISTEN_ADDRESS}:{tls_port} ssl reuseport;
{nginx_tls_directives(tls)}        default_type text/plain;
        return 200 "ok\\n";
    }}
"""
    server = f"""    server {{
        listen {LISTEN_ADDRESS}:{port} reuseport;
        return 301 https://$host$request_uri;
    }}
"""
    return nginx_config_text(directory, "nginx", server + tls_server, worker_connections, head)


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
        tls_global = f"{relaxed}    ulimit-n {files}\n{haproxy_tls_global()}"
        tls_frontend = f"""
frontend tls
    {haproxy_tls_bind(tls, tls_port)}
    http-request return status 200 content-type text/plain string "ok\\n"
"""
    return f"""global
    nbthread 1
    maxconn {maxconn}
{tls_global}
{haproxy_defaults(maxconn)}
frontend redirect
    bind {LISTEN_ADDRESS}:{port}
    http-request redirect scheme https code 301
{tls_frontend}"""


def ringway_config(port, acme_webroot, tls=None, tls_port=0, max_connections=0):
    # Session tickets off, as nginx's and HAProxy's here (the handshake test).
    limits = (f"[limits]\nconnections_per_worker = {max_connections}\n"
              if tls is not None and max_connections > RINGWAY_DEFAULT_CONNECTIONS else "")
    return ringway_config_text(port, acme_webroot, tls, tls_port, site="status = 200\n",
                               tail=limits, https="session_tickets = false\n")


def server_spec(name, port, directory, options, tls=None, tls_port=0):
    """The command line for one server, with its config written into the temp directory.

    With `tls`, nginx, HAProxy and ringway also listen for HTTPS on tls_port and answer every
    request there with 200 "ok\\n"; the plain port keeps the redirect."""
    log_path = directory / f"{name}.log"
    max_connections = options.idle_connections + 1024
    acme_webroot = directory / "acme-webroot"
    configs = {
        "nginx": lambda: nginx_config(directory, port, tls, tls_port, max_connections),
        "haproxy": lambda: haproxy_config(port, tls, tls_port, max_connections),
        "ringway": lambda: ringway_config(port, acme_webroot, tls, tls_port, max_connections),
    }
    if name in configs:
        acme_webroot.mkdir(exist_ok=True)
        command = server_command(name, directory, configs[name](), options.ringway)
    else:
        command = [str(options.floor), "--address", LISTEN_ADDRESS, "--port", str(port),
                   "--location-bytes", str(len(EXPECTED_LOCATION))]
        if name == "floor-simple":
            command.append("--simple")
    return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command], log_path, tls_port)


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
    parser.add_argument("--scenario", choices=(*SCENARIOS, *SCENARIO_GROUPS),
                        help="what to measure (redirect; with --smoke: all); 'proxy' is every "
                             "proxy-* scenario")
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
    parser.add_argument("--rate-load", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "rate_load")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SERVER_NAMES)}")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--verbose-errors", action="store_true",
                        help="print tls_load's first error of every run")
    options = parser.parse_args(arguments)
    if options.smoke:
        options.rounds, options.duration = SMOKE_ROUNDS, SMOKE_DURATION_SECONDS
        options.idle_connections = min(options.idle_connections, SMOKE_IDLE_CONNECTIONS)
    scenario = options.scenario or ("all" if options.smoke else "redirect")
    options.scenarios = SCENARIO_GROUPS.get(scenario, (scenario,))
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
    """The scenarios to run, and the ones that cannot run without their client (bench/tls_load,
    bench/rate_load)."""
    clients = {"tls-handshake": options.tls_load, "tls-idle-memory": options.tls_load,
               "proxy-latency": options.rate_load}
    left_out = {}
    for scenario in options.scenarios:
        client = clients.get(scenario)
        if client is None or client.is_file():
            continue
        shown = display_path(client)
        if options.smoke:
            raise HarnessError(f"{shown} not found (build it first)")
        left_out[scenario] = f"{shown} not found"
        print(f"{scenario}: skipped: {shown} not found", file=sys.stderr)
    return [scenario for scenario in options.scenarios if scenario not in left_out], left_out


def run_benchmark(options):
    names, skipped = select_servers(options)
    scenarios, skipped_scenarios = runnable_scenarios(options)
    raise_open_file_limit(2 * options.idle_connections + 4096)
    documents = {}
    with tempfile.TemporaryDirectory(prefix="ringway-bench-") as temp:
        directory = Path(temp)
        tls = make_certificate(directory) if any(s != "redirect" for s in scenarios) else None
        proxy_scenarios = [scenario for scenario in scenarios if scenario in PROXY_SCENARIOS]
        for scenario in scenarios:
            if scenario in PROXY_SCENARIOS:
                continue
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
        if proxy_scenarios:
            (directory / "proxy").mkdir()
            documents.update(run_proxy_scenarios(options, proxy_scenarios, names, skipped,
                                                 directory / "proxy", tls))
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

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
import copy
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
from harness_access_log import (access_log_path, check_line_count, count_lines, empty_log,
                                logged_run)
from harness_report import (UNITS, baseline_check, median_measurement, measurement_json,
                            print_new_over_old, print_report, print_targets, print_versus,
                            ratio_sets, target_checks)
from harness_configs import (RINGWAY_BASELINE, haproxy_defaults, haproxy_log_global,
                             haproxy_tls_bind, haproxy_tls_global,
                             nginx_config_text, nginx_tls_directives, ringway_config_text,
                             server_command, server_kind)
from harness_tls import TLS_PATH, check_tls_response, make_certificate
from harness_wrk import Measurement, check_clean, parse_wrk, run_wrk
from proxy_scenarios import PROXY_SCENARIOS, run_proxy_scenarios

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUEST_PATH = "/some/path"
EXPECTED_LOCATION = f"https://{REQUEST_HOST}{REQUEST_PATH}"
SERVER_NAMES = ("ringway", "nginx", "haproxy", "floor", "floor-simple")
FLOOR_NAMES = ("floor", "floor-simple")
TLS_SERVER_KINDS = ("ringway", "nginx", "haproxy")
ACCESS_LOG_MODES = {"off": (False,), "on": (True,), "both": (False, True)}
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
    setup_latency_p99_ms: float = 0.0  # of the idle connections' set-up (tls_load)
    access_log_lines: int = None

    @property
    def setups_per_second(self):
        return self.connections / self.setup_seconds if self.setup_seconds > 0 else 0.0

    @property
    def bytes_per_connection(self):
        return (self.rss_after - self.rss_before) / self.connections if self.connections else 0.0


# ---------------------------------------------------------------------------------------------
# Configurations


def nginx_config(directory, port, tls=None, tls_port=0, max_connections=0, access_log=None):
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
    return nginx_config_text(directory, "nginx", server + tls_server, worker_connections, head,
                             access_log=access_log)


def haproxy_config(port, tls=None, tls_port=0, max_connections=0, access_log=None):
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
{haproxy_log_global(access_log)}{tls_global}
{haproxy_defaults(maxconn, access_log)}
frontend redirect
    bind {LISTEN_ADDRESS}:{port}
    http-request redirect scheme https code 301
{tls_frontend}"""


def ringway_config(port, acme_webroot, tls=None, tls_port=0, max_connections=0,
                   access_log=None):
    # Session tickets off, as nginx's and HAProxy's here (the handshake test).
    limits = (f"[limits]\nconnections_per_worker = {max_connections}\n"
              if tls is not None and max_connections > RINGWAY_DEFAULT_CONNECTIONS else "")
    return ringway_config_text(port, acme_webroot, tls, tls_port, site="status = 200\n",
                               tail=limits, https="session_tickets = false\n",
                               access_log=access_log)


def server_spec(name, port, directory, options, tls=None, tls_port=0):
    """The command line for one server, with its config written into the temp directory.

    With `tls`, nginx, HAProxy and ringway also listen for HTTPS on tls_port and answer every
    request there with 200 "ok\\n"; the plain port keeps the redirect. With
    options.log_requests, each writes a line per request to its access log."""
    log_path = directory / f"{name}.log"
    max_connections = options.idle_connections + 1024
    acme_webroot = directory / "acme-webroot"
    kind = server_kind(name)
    access_log = access_log_path(directory, name) if options.log_requests else None
    configs = {
        "nginx": lambda: nginx_config(directory, port, tls, tls_port, max_connections,
                                      access_log),
        "haproxy": lambda: haproxy_config(port, tls, tls_port, max_connections, access_log),
        "ringway": lambda: ringway_config(port, acme_webroot, tls, tls_port, max_connections,
                                          access_log),
    }
    if kind in configs:
        acme_webroot.mkdir(exist_ok=True)
        command = server_command(kind, directory, configs[kind](),
                                 options.ringway_binaries.get(name), name)
        return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command], log_path,
                          tls_port, access_log, access_log_on_stdout=kind == "haproxy")
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
    """One load run against a started server, with the server's CPU time around it; with an
    access log, its lines checked against the requests (connections for tls-handshake)."""
    return logged_run(server, lambda: measure_load(scenario, server, duration_seconds,
                                                   connections, options, facts),
                      lambda measurement: measurement.requests, connections)


def measure_load(scenario, server, duration_seconds, connections, options, facts=None):
    """measure() without the access-log check."""
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
        if spec.access_log is not None:
            empty_log(spec.access_log)
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
        # One request on each idle connection: one line each.
        log_lines = count_lines(spec.access_log) if spec.access_log is not None else None
    if log_lines is not None:
        check_line_count(label, log_lines, ready["completed"], ready["errors"])
    if ready["resumed"]:
        raise HarnessError(f"{label}: tls_load reports {ready['resumed']} resumed handshakes")
    measurement = IdleMeasurement(
        connections=ready["completed"], errors=ready["errors"],
        closed_during_hold=done["closed_during_hold"], setup_seconds=ready["seconds"],
        rss_before=rss_before, rss_after=rss_after, anon_before=anon_before,
        anon_after=anon_after, setup_latency_p99_ms=ready["latency_p99_ms"],
        access_log_lines=log_lines)
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
    chosen = [name for name in names if server_kind(name) in TLS_SERVER_KINDS]
    left_out = {name: reason for name, reason in skipped.items()
                if server_kind(name) in TLS_SERVER_KINDS}
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
    sets = ratio_sets(results)
    ratios = sets["per_cpu_second"]
    targets = (target_checks(scenario, ratios.get("ringway", {}))
               + baseline_check(sets, "per_cpu_second"))
    print_report(scenario, medians, sets, skipped, facts, options.mode_heading)
    print_targets(targets)
    document = {
        "servers": {name: {"median": medians[name],
                           "rounds": [measurement_json(m) for m in results[name]]}
                    for name in names},
        "ratios": ratios, "figure_ratios": sets, "targets": targets, "skipped": skipped,
    }
    if facts:
        document["tls"] = facts
    return document


# Idle memory: bytes per idle connection (the headline, less is better), beside how fast the
# connections were set up and the p99 of one set-up.
IDLE_FIGURES = {"bytes": lambda m: m.bytes_per_connection,
                "per_second": lambda m: m.setups_per_second,
                "p99": lambda m: m.setup_latency_p99_ms}
IDLE_LABELS = {"bytes": "bytes per connection", "per_second": "set-ups/s",
               "p99": "set-up p99"}


def print_idle_table(options, names, skipped, results, medians, kinds):
    print(f"\n== tls-idle-memory{options.mode_heading} ({options.idle_connections} idle "
          "connections; growth of the server's RSS, all its processes; set-up of the TLS ones)")
    print(f"{'server':<14}{'TLS B/conn':>12}{'plain B/conn':>14}{'TLS RSS MiB':>18}"
          f"{'setup/s':>10}{'setup p99 ms':>14}{'errors':>8}")
    for name in names:
        tls_rounds = results[name]["tls"]
        middle = sorted(tls_rounds, key=lambda m: m.bytes_per_connection)[len(tls_rounds) // 2]
        errors = sum(m.errors + m.closed_during_hold for kind in kinds
                     for m in results[name][kind])
        print(f"{name:<14}{medians[name]['tls_bytes_per_connection']:>12,.0f}"
              f"{medians[name]['plain_bytes_per_connection']:>14,.0f}"
              f"{middle.rss_before / 2**20:>9.1f} -> {middle.rss_after / 2**20:>5.1f}"
              f"{medians[name]['tls_setups_per_second']:>10,.0f}"
              f"{medians[name]['tls_setup_latency_p99_ms']:>14.3f}{errors:>8}")
    for name in skipped:
        print(f"{name:<14}skipped: {skipped[name]}")


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
    medians = {name: {f"{kind}_{key}": statistics.median(getattr(m, key)
                                                         for m in results[name][kind])
                      for kind in kinds
                      for key in ("bytes_per_connection", "setups_per_second",
                                  "setup_latency_p99_ms")} for name in names}
    sets = {kind: ratio_sets({name: results[name][kind] for name in names}, IDLE_FIGURES)
            for kind in kinds}
    ratios = {kind: sets[kind]["bytes"] for kind in kinds}
    targets = target_checks("tls-idle-memory", ratios["tls"].get("ringway", {}))
    for kind in kinds:
        targets += [dict(check, ratio=f"{check['ratio']} idle {kind}")
                    for check in baseline_check(sets[kind], "bytes", "<=")]
    print_idle_table(options, names, skipped, results, medians, kinds)
    for kind in kinds:
        print_versus(sets[kind], IDLE_LABELS, title=f", idle {kind}")
        print_new_over_old(sets[kind], IDLE_LABELS, f", idle {kind}")
    print_targets(targets)
    return {
        "connections": options.idle_connections,
        "servers": {name: {"median": medians[name],
                           "rounds": {kind: [idle_json(m) for m in results[name][kind]]
                                      for kind in kinds}}
                    for name in names},
        "ratios": ratios, "figure_ratios": sets, "targets": targets, "skipped": skipped,
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
    parser.add_argument("--ringway", type=Path, default=REPO_ROOT / "build" / "ringway",
                        help="the ringway binary (build/ringway); the new one of an A/B run")
    parser.add_argument("--ringway-baseline", type=Path, metavar="PATH",
                        help=f"a second ringway binary (the landed one), run as "
                             f"{RINGWAY_BASELINE} beside ringway in the same interleaved rounds "
                             "of every scenario; the report adds new/old ratios")
    parser.add_argument("--access-log", nargs="?", const="on", default="off",
                        choices=tuple(ACCESS_LOG_MODES),
                        help="every server writes a combined (HAProxy: httplog) line per request "
                             "to a file, checked against the requests; 'both': every scenario "
                             "without, then with logs (bare --access-log: on)")
    parser.add_argument("--floor", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "floor_responder")
    parser.add_argument("--tls-load", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "tls_load")
    parser.add_argument("--rate-load", type=Path,
                        default=REPO_ROOT / "build" / "bench" / "rate_load")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SERVER_NAMES)}"
                                       f" (and {RINGWAY_BASELINE})")
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
        unknown = set(options.names) - {*SERVER_NAMES, RINGWAY_BASELINE}
        if unknown:
            parser.error(f"unknown server(s) {', '.join(sorted(unknown))}; "
                         f"choose from {','.join(SERVER_NAMES)},{RINGWAY_BASELINE}")
    options.ringway_binaries = {"ringway": options.ringway}
    if options.ringway_baseline is not None:
        options.ringway_binaries[RINGWAY_BASELINE] = options.ringway_baseline
        if "ringway" in options.names and RINGWAY_BASELINE not in options.names:
            # Next to ringway, so that the two run one after the other in every round.
            at = options.names.index("ringway") + 1
            options.names = (*options.names[:at], RINGWAY_BASELINE, *options.names[at:])
    elif RINGWAY_BASELINE in options.names:
        parser.error(f"{RINGWAY_BASELINE} needs --ringway-baseline PATH")
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
    binaries = {**options.ringway_binaries, "floor": options.floor,
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


def mode_options(options, log_requests):
    """The options of one access-log mode: whether servers log, and how its reports say so."""
    mode = copy.copy(options)
    mode.log_requests = log_requests
    mode.mode_heading = " (access log on)" if log_requests else ""
    mode.document_suffix = "+access-log" if log_requests else ""
    return mode


def mode_servers(options, names, skipped):
    """The servers of a mode: with access logs, not the floors (they write none)."""
    if not options.log_requests:
        return names, skipped
    left_out = {name: "writes no access log" for name in names if name in FLOOR_NAMES}
    for name in left_out:
        print(f"{name}: skipped with --access-log: it writes no access log", file=sys.stderr)
    return ([name for name in names if name not in left_out],
            {**skipped, **left_out})


def run_mode(options, names, skipped, scenarios, directory, tls):
    """Every scenario in one access-log mode; the documents keyed by scenario (and mode)."""
    names, skipped = mode_servers(options, names, skipped)
    documents = {}
    for scenario in scenarios:
        if scenario in PROXY_SCENARIOS:
            continue
        scenario_directory = directory / f"{scenario}{options.document_suffix}"
        scenario_directory.mkdir()
        chosen, left_out = scenario_servers(scenario, names, skipped)
        if scenario == "tls-idle-memory":
            documents[scenario] = run_idle_scenario(options, chosen, left_out,
                                                    scenario_directory, tls)
        else:
            documents[scenario] = run_rate_scenario(
                options, scenario, chosen, left_out, scenario_directory,
                tls if scenario != "redirect" else None)
    proxy_scenarios = [scenario for scenario in scenarios if scenario in PROXY_SCENARIOS]
    if proxy_scenarios:
        # Right under the temporary directory: the backend nginx makes both traversable.
        proxy_directory = directory / f"proxy{options.document_suffix}"
        proxy_directory.mkdir()
        documents.update(run_proxy_scenarios(options, proxy_scenarios, names, skipped,
                                             proxy_directory, tls))
    return {f"{scenario}{options.document_suffix}": document
            for scenario, document in documents.items()}


def run_benchmark(options):
    names, skipped = select_servers(options)
    scenarios, skipped_scenarios = runnable_scenarios(options)
    raise_open_file_limit(2 * options.idle_connections + 4096)
    documents = {}
    with tempfile.TemporaryDirectory(prefix="ringway-bench-") as temp:
        directory = Path(temp)
        tls = make_certificate(directory) if any(s != "redirect" for s in scenarios) else None
        for log_requests in ACCESS_LOG_MODES[options.access_log]:
            mode = mode_options(options, log_requests)
            documents.update(run_mode(mode, names, skipped, scenarios, directory, tls))
    print()
    if options.json:
        write_json(options.json, options, documents, skipped_scenarios)


def write_json(path, options, documents, skipped_scenarios):
    for key in ("redirect", "redirect+access-log"):
        if key in documents:
            documents[key]["scenario"] = {"request": f"GET {REQUEST_PATH}",
                                          "host": REQUEST_HOST,
                                          "expected_location": EXPECTED_LOCATION}
    document = {
        "settings": {"rounds": options.rounds, "duration_seconds": options.duration,
                     "connections": options.connections,
                     "idle_connections": options.idle_connections, "wrk_threads": 1,
                     "server_cpu": SERVER_CPU, "client_cpu": CLIENT_CPU,
                     "access_log": options.access_log,
                     "ringway": {name: str(path)
                                 for name, path in options.ringway_binaries.items()}},
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

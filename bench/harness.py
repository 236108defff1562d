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
import copy
import contextlib
import json
import sys
import tempfile
from pathlib import Path

from harness_access_log import logged_run
from harness_configs import RINGWAY_BASELINE, server_kind
from harness_processes import (CLIENT_CPU, LISTEN_ADDRESS, REQUEST_HOST, SERVER_CPU,
                               HarnessError, check_alive, cpu_seconds, free_port,
                               raise_open_file_limit, started_server)
from harness_report import (UNITS, baseline_check, median_measurement, measurement_json,
                            print_report, print_targets, ratio_sets, target_checks)
from harness_servers import EXPECTED_LOCATION, REQUEST_PATH, check_response, server_spec
from harness_tls import TLS_PATH, check_tls_response, make_certificate
from harness_tls_load import handshake_measurement, run_tls_load
from harness_wrk import check_clean, parse_wrk, run_wrk
from idle_scenario import run_idle_scenario
from proxy_scenarios import PROXY_SCENARIOS, run_proxy_scenarios

REPO_ROOT = Path(__file__).resolve().parent.parent
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
WARMUP_SECONDS_MAX = 2


# ---------------------------------------------------------------------------------------------
# The rate scenarios: redirect, tls-handshake, tls-keepalive


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
            or options.idle_connections < 2):
        parser.error("--rounds, --duration and --connections must be positive, "
                     "--idle-connections at least 2 (it opens them in two halves)")
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

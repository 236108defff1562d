"""The tls-idle-memory scenario of bench/harness.py: server memory per idle TLS and plain HTTP
connection, each batch held by a fresh server process. See bench/README.md."""

import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from harness_access_log import check_line_count, count_lines, empty_log
from harness_processes import (HarnessError, check_alive, free_port, memory_bytes,
                               started_server)
from harness_report import (baseline_check, print_new_over_old, print_targets, print_versus,
                            ratio_sets, target_checks)
from harness_servers import REQUEST_PATH, check_response, server_spec
from harness_tls import TLS_PATH, check_tls_response
from harness_tls_load import read_json_line, run_tls_load, tls_load_command
from harness_wrk import Measurement, check_clean

IDLE_SETTLE_SECONDS = 1.0
IDLE_WARMUP_SECONDS = 0.5


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


def idle_json(measurement):
    return dict(asdict(measurement),
                bytes_per_connection=round(measurement.bytes_per_connection, 1))



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

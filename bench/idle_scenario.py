"""The tls-idle-memory scenario of bench/harness.py: server memory per idle TLS and plain HTTP
connection, each batch held by a fresh server process, as growth over N connections and as the
marginal cost of the second half of them. See bench/README.md."""

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
# tls_load's connections per source address (ports_per_source in tls_load.cc): the two halves
# together must not put more than this on one address.
PORTS_PER_SOURCE = 20000
# Issue 10: an idle plain keepalive connection at most 400 B, an idle TLS one at most 4 KB
# (taken as 4,096 B); checked on ringway's growth per connection and on its marginal cost.
IDLE_BYTES_TARGETS = {"plain": 400, "tls": 4096}


@dataclass
class IdleMeasurement:
    """One server holding `connections` idle connections, against its memory just before, and
    at `connections_half` of them (the first of the two batches that opened them)."""
    connections: int
    errors: int
    closed_during_hold: int
    setup_seconds: float
    rss_before: int
    rss_after: int
    anon_before: int
    anon_after: int
    connections_half: int = 0
    rss_half: int = 0
    anon_half: int = 0
    setup_latency_p99_ms: float = 0.0  # of the idle connections' set-up (tls_load)
    access_log_lines: int = None

    @property
    def setups_per_second(self):
        return self.connections / self.setup_seconds if self.setup_seconds > 0 else 0.0

    @property
    def bytes_per_connection(self):
        return (self.rss_after - self.rss_before) / self.connections if self.connections else 0.0

    @property
    def marginal_bytes_per_connection(self):
        """What each connection of the second batch added: fixed costs (pools filled to the
        set-up's concurrency, lazily touched buffers) are paid in the first batch."""
        added = self.connections - self.connections_half
        return (self.rss_after - self.rss_half) / added if added > 0 else 0.0

    @property
    def fixed_bytes(self):
        """The growth that the marginal cost does not explain."""
        return (self.rss_after - self.rss_before
                - self.marginal_bytes_per_connection * self.connections)


def open_idle_batch(options, port, kind, count, stderr_path):
    """A `tls_load idle` client holding `count` connections, and its "ready" line."""
    sources = -(-options.idle_connections // PORTS_PER_SOURCE)
    spread = ["--sources", sources] if sources > 1 else []
    with open(stderr_path, "ab") as stderr_file:
        client = subprocess.Popen(
            tls_load_command(options, ["idle", "--port", port, "--connections", count,
                                       *spread, *kind]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file, text=True)
    try:
        return client, read_json_line(client, 60 + count / 200, "ready", stderr_path)
    except BaseException:
        client.kill()
        client.wait()
        raise


def stop_idle_batches(clients):
    for client in clients:
        if client.poll() is None:
            client.kill()
            client.wait()


def close_idle_batches(clients, stderr_path):
    """Let every client go (stdin closed): their "done" lines; any left running is killed."""
    try:
        for client in clients:
            client.stdin.close()
        done = [read_json_line(client, 30, "done", stderr_path) for client in clients]
        for client in clients:
            client.wait(timeout=30)
        return done
    finally:
        stop_idle_batches(clients)


def measure_idle(options, name, directory, tls, plain):
    """A fresh server: warm it, note its memory, open half the idle connections, note it, open
    the other half, note it again.

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
        stderr_path.write_bytes(b"")
        half = options.idle_connections // 2
        clients, readies, memory = [], [], []
        try:
            # Two batches held at once by the same server: the second one's growth is the
            # marginal cost of a connection.
            for count in (half, options.idle_connections - half):
                client, ready = open_idle_batch(options, port, kind, count, stderr_path)
                clients.append(client)
                readies.append(ready)
                time.sleep(IDLE_SETTLE_SECONDS)
                check_alive(server)
                memory.append(memory_bytes(server.process.pid))
        except BaseException:
            stop_idle_batches(clients)
            raise
        done = close_idle_batches(clients, stderr_path)
        check_alive(server)
        # One request on each idle connection: one line each.
        log_lines = count_lines(spec.access_log) if spec.access_log is not None else None
    completed = sum(ready["completed"] for ready in readies)
    errors = sum(ready["errors"] for ready in readies)
    first_error = next((ready["first_error"] for ready in readies if ready["first_error"]), "")
    if log_lines is not None:
        check_line_count(label, log_lines, completed, errors)
    resumed = sum(ready["resumed"] for ready in readies)
    if resumed:
        raise HarnessError(f"{label}: tls_load reports {resumed} resumed handshakes")
    (rss_half, anon_half), (rss_after, anon_after) = memory
    measurement = IdleMeasurement(
        connections=completed, errors=errors,
        closed_during_hold=sum(batch["closed_during_hold"] for batch in done),
        setup_seconds=sum(ready["seconds"] for ready in readies),
        rss_before=rss_before, rss_after=rss_after, anon_before=anon_before,
        anon_after=anon_after, connections_half=readies[0]["completed"], rss_half=rss_half,
        anon_half=anon_half,
        setup_latency_p99_ms=max(ready["latency_p99_ms"] for ready in readies),
        access_log_lines=log_lines)
    problems = []
    if measurement.errors:
        problems.append(f"{measurement.errors} of {options.idle_connections} connections failed"
                        f" (first: {first_error})")
    if measurement.closed_during_hold:
        problems.append(f"the server closed {measurement.closed_during_hold} idle connections")
    if measurement.connections == 0:
        raise HarnessError(f"{label}: no connection opened: {first_error}")
    if problems:
        message = f"{label}: {'; '.join(problems)}"
        if options.smoke:
            raise HarnessError(message)
        print(f"warning: {message}", file=sys.stderr)
    return measurement


def idle_json(measurement):
    return dict(asdict(measurement),
                bytes_per_connection=round(measurement.bytes_per_connection, 1),
                marginal_bytes_per_connection=round(
                    measurement.marginal_bytes_per_connection, 1),
                fixed_bytes=round(measurement.fixed_bytes))


# Idle memory: bytes per idle connection (the headline, less is better) and the marginal bytes
# of one, beside how fast the connections were set up and the p99 of one set-up.
IDLE_FIGURES = {"bytes": lambda m: m.bytes_per_connection,
                "marginal": lambda m: m.marginal_bytes_per_connection,
                "per_second": lambda m: m.setups_per_second,
                "p99": lambda m: m.setup_latency_p99_ms}
IDLE_LABELS = {"bytes": "bytes per connection", "marginal": "marginal bytes",
               "per_second": "set-ups/s", "p99": "set-up p99"}
IDLE_MEDIANS = ("bytes_per_connection", "marginal_bytes_per_connection", "fixed_bytes",
                "setups_per_second", "setup_latency_p99_ms")


def print_idle_table(options, names, skipped, results, medians, kinds):
    print(f"\n== tls-idle-memory{options.mode_heading} ({options.idle_connections} idle "
          "connections; growth of the server's RSS, all its processes; marginal: of the second "
          "half; fixed: growth less marginal x N; set-up of the TLS ones)")
    print(f"{'server':<14}{'TLS B/conn':>12}{'marginal':>10}{'fixed MiB':>11}"
          f"{'plain B/conn':>14}{'marginal':>10}{'fixed MiB':>11}{'TLS RSS MiB':>18}"
          f"{'setup/s':>10}{'setup p99 ms':>14}{'errors':>8}")
    for name in names:
        tls_rounds = results[name]["tls"]
        middle = sorted(tls_rounds, key=lambda m: m.bytes_per_connection)[len(tls_rounds) // 2]
        errors = sum(m.errors + m.closed_during_hold for kind in kinds
                     for m in results[name][kind])
        median = medians[name]
        print(f"{name:<14}{median['tls_bytes_per_connection']:>12,.0f}"
              f"{median['tls_marginal_bytes_per_connection']:>10,.0f}"
              f"{median['tls_fixed_bytes'] / 2**20:>11.2f}"
              f"{median['plain_bytes_per_connection']:>14,.0f}"
              f"{median['plain_marginal_bytes_per_connection']:>10,.0f}"
              f"{median['plain_fixed_bytes'] / 2**20:>11.2f}"
              f"{middle.rss_before / 2**20:>9.1f} -> {middle.rss_after / 2**20:>5.1f}"
              f"{median['tls_setups_per_second']:>10,.0f}"
              f"{median['tls_setup_latency_p99_ms']:>14.3f}{errors:>8}")
    for name in skipped:
        print(f"{name:<14}skipped: {skipped[name]}")


def absolute_checks(medians):
    """Issue 10's bytes per idle connection for ringway, on the growth and on the marginal."""
    if "ringway" not in medians:
        return []
    checks = []
    for kind, goal in IDLE_BYTES_TARGETS.items():
        for key, title in (("bytes_per_connection", "bytes per connection"),
                           ("marginal_bytes_per_connection", "marginal bytes per connection")):
            value = medians["ringway"][f"{kind}_{key}"]
            checks.append({"ratio": f"ringway idle {kind} {title}", "target": f"<= {goal:,}",
                           "value": round(value, 1), "met": value <= goal, "unit": "B"})
    return checks


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
                      f" {measurement.bytes_per_connection:,.0f} bytes per idle connection, "
                      f"marginal {measurement.marginal_bytes_per_connection:,.0f} "
                      f"({measurement.connections} connections, RSS "
                      f"{measurement.rss_before / 2**20:.1f} -> "
                      f"{measurement.rss_half / 2**20:.1f} -> "
                      f"{measurement.rss_after / 2**20:.1f} MiB)", file=sys.stderr)
    medians = {name: {f"{kind}_{key}": statistics.median(getattr(m, key)
                                                         for m in results[name][kind])
                      for kind in kinds for key in IDLE_MEDIANS} for name in names}
    sets = {kind: ratio_sets({name: results[name][kind] for name in names}, IDLE_FIGURES)
            for kind in kinds}
    ratios = {kind: sets[kind]["bytes"] for kind in kinds}
    targets = target_checks("tls-idle-memory", ratios["tls"].get("ringway", {}))
    targets += absolute_checks(medians)
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

"""The proxy scenarios of bench/harness.py: ringway, nginx and HAProxy proxying to one backend.

proxy-plain (plain HTTP keepalive, 100-byte responses; the floor responder alongside),
proxy-tls-1k and proxy-tls-16k (HTTPS keepalive), proxy-download (bytes per CPU-second over
100 MB HTTPS downloads) and proxy-latency (p50/p99/p99.9 at a fixed rate of 80% of nginx's
maximum). The backend is nginx pinned to the client CPU, so each proxy has CPU 0 to itself and
only its own CPU time is measured. See bench/README.md, "The proxy scenarios"."""

import contextlib
import http.client
import re
import statistics
import sys
from dataclasses import dataclass

from harness_access_log import access_log_path, logged_run
from harness_configs import server_command, server_kind
from harness_processes import (CLIENT_CPU, LISTEN_ADDRESS, REQUEST_HOST, SERVER_CPU,
                               HarnessError, ServerSpec, check_alive, cpu_seconds, free_port,
                               started_server)
from harness_report import (UPSTREAM_REUSE_TARGET, access_log_column, baseline_check,
                            median_log_lines,
                            median_measurement, measurement_json, print_new_over_old,
                            print_ratio_table, print_report, print_table, print_targets,
                            print_versus, ratio_sets, target_checks)
from harness_tls import check_tls_response
from harness_wrk import Measurement, check_clean, parse_wrk, run_wrk
from proxy_configs import (DOWNLOAD_BYTES, PLAIN_PATH, SMALL_FILES, STATUS_PATH,
                           TLS_16K_PATH, TLS_1K_PATH, backend_config, file_body,
                           haproxy_proxy_config, nginx_proxy_config, ringway_proxy_config,
                           write_backend_files)
from proxy_loads import run_downloads, run_rate_load

PROXY_SCENARIOS = ("proxy-plain", "proxy-tls-1k", "proxy-tls-16k", "proxy-download",
                   "proxy-latency")
PROXY_SERVER_KINDS = ("ringway", "nginx", "haproxy")
RATE_PATHS = {"proxy-plain": PLAIN_PATH, "proxy-tls-1k": TLS_1K_PATH,
              "proxy-tls-16k": TLS_16K_PATH}
LATENCY_RATE_SHARE = 0.8  # of nginx's maximum requests per second
SMOKE_PROXY_DURATION_SECONDS = 1  # the proxy smoke runs five scenarios in about 15 s
WARMUP_SECONDS_MAX = 2
# proxy-download's figures: bytes per CPU-second (the headline), per second, and the p99 of one
# download's time.
DOWNLOAD_FIGURES = {"per_cpu_second": lambda m: m.bytes_per_cpu_second,
                    "per_second": lambda m: m.bytes_per_second,
                    "p99": lambda m: m.latency_p99_ms}
DOWNLOAD_LABELS = {"per_cpu_second": "bytes/CPU-s", "per_second": "bytes/s",
                   "p99": "p99"}
# proxy-latency's: the p99 at the fixed rate (the headline, less is better), the requests per
# CPU-second at that rate and the rate achieved.
LATENCY_FIGURES = {"p99": lambda m: m.latency_p99_ms,
                   "per_cpu_second": lambda m: m.requests_per_cpu_second,
                   "per_second": lambda m: m.achieved_rate}
LATENCY_LABELS = {"p99": "p99", "per_cpu_second": "req/CPU-s",
                  "per_second": "req/s achieved"}


@dataclass
class ProxyMeasurement(Measurement):
    """A wrk run through a proxy, with what the backend saw meanwhile (None for the floor)."""
    upstream_connections: int = None
    upstream_requests: int = None

    @property
    def upstream_reuse(self):
        """Share of requests that needed no new upstream connection."""
        if self.upstream_connections is None or not self.requests:
            return None
        return 1 - self.upstream_connections / self.requests


class Backend:
    """The backend nginx: its counters of accepted connections and requests (stub_status)."""

    def __init__(self, server):
        self.server = server

    def counters(self):
        """(accepted connections, requests) so far, the query that reads them included."""
        connection = http.client.HTTPConnection(LISTEN_ADDRESS, self.server.spec.port, timeout=5)
        try:
            connection.request("GET", STATUS_PATH)
            text = connection.getresponse().read().decode()
        except (OSError, http.client.HTTPException) as error:
            raise HarnessError(f"backend: status request failed: {error}") from error
        finally:
            connection.close()
        match = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.MULTILINE)
        if not match:
            raise HarnessError(f"backend: unexpected status page:\n{text}")
        return int(match.group(1)), int(match.group(3))

    def new_since(self, before):
        """Connections and requests since `before` (a reading of counters()), less the
        connection and request of the reading taken now."""
        after = self.counters()
        return {"upstream_connections": after[0] - before[0] - 1,
                "upstream_requests": after[1] - before[1] - 1}


def proxy_spec(name, directory, options, tls, backend_port):
    """One proxy listening on a plain and an HTTPS port, with options.log_requests writing its
    access log; or the floor (plain only, no log)."""
    port, tls_port = free_port(), free_port()
    prefix = directory / name
    kind = server_kind(name)
    access_log = access_log_path(directory, name) if options.log_requests else None
    configs = {
        "nginx": lambda: nginx_proxy_config(prefix, port, tls_port, tls, backend_port,
                                            access_log),
        "haproxy": lambda: haproxy_proxy_config(port, tls_port, tls, backend_port, access_log),
        "ringway": lambda: ringway_proxy_config(port, tls_port, tls, backend_port,
                                                prefix / "acme-webroot", access_log),
    }
    if kind not in configs:
        command = [str(options.floor), "--address", LISTEN_ADDRESS, "--port", str(port)]
        return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command],
                          directory / f"{name}.log")
    prefix.mkdir(exist_ok=True)
    command = server_command(kind, prefix, configs[kind](), options.ringway_binaries.get(name),
                             name)
    return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command],
                      directory / f"{name}.log", tls_port, access_log,
                      access_log_on_stdout=kind == "haproxy")


def check_plain(server, path, expected_status=200, expected_body=None):
    """One plain HTTP request by hand before any load; the floor answers anything with a 301."""
    connection = http.client.HTTPConnection(LISTEN_ADDRESS, server.spec.port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": REQUEST_HOST})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        raise HarnessError(f"{server.spec.name}: request for {path} failed: {error}") from error
    finally:
        connection.close()
    if response.status != expected_status or (expected_body is not None
                                               and body != expected_body):
        raise HarnessError(f"{server.spec.name}: expected {expected_status} for {path}"
                           f" ({len(expected_body or b'')} bytes), got {response.status} with "
                           f"{len(body)} bytes: {body[:100]!r}")


def check_proxies(servers, scenarios, tls):
    """The proxied answers each scenario will ask for, checked by hand before any load; what
    each proxy's HTTPS port negotiated."""
    facts = {}
    for name, server in servers.items():
        if name == "floor":
            check_plain(server, PLAIN_PATH, expected_status=301)
            continue
        if {"proxy-plain", "proxy-latency"} & set(scenarios):
            check_plain(server, PLAIN_PATH, expected_body=file_body(PLAIN_PATH, 100))
        for scenario, path in (("proxy-tls-1k", TLS_1K_PATH), ("proxy-tls-16k", TLS_16K_PATH)):
            if scenario in scenarios:
                facts[name] = check_tls_response(server, tls, path,
                                                 file_body(path, SMALL_FILES[path]))
    return facts


def proxy_url(scenario, server):
    if scenario == "proxy-plain":
        return f"http://{LISTEN_ADDRESS}:{server.spec.port}{PLAIN_PATH}"
    return f"https://{REQUEST_HOST}:{server.spec.tls_port}{RATE_PATHS[scenario]}"


def measure_rate(scenario, server, backend, duration_seconds, connections):
    """One wrk run through a proxy: its CPU time and the backend's new connections over it;
    with an access log, its lines checked against the requests."""
    return logged_run(server, lambda: measure_wrk(scenario, server, backend, duration_seconds,
                                                  connections),
                      lambda measurement: measurement.requests, connections)


def measure_wrk(scenario, server, backend, duration_seconds, connections):
    """measure_rate() without the access-log check."""
    counted = server.spec.name != "floor"
    before = backend.counters() if counted else None
    cpu_before = cpu_seconds(server.process.pid)
    output = run_wrk(proxy_url(scenario, server), duration_seconds, connections)
    cpu = round(cpu_seconds(server.process.pid) - cpu_before, 3)
    upstream = backend.new_since(before) if counted else {}
    check_alive(server)
    return ProxyMeasurement(**vars(parse_wrk(output, cpu)), **upstream)


def median_reuse(rounds):
    reuses = [m.upstream_reuse for m in rounds if m.upstream_reuse is not None]
    return statistics.median(reuses) if reuses else None


def reuse_check(results):
    """The issue's target for ringway's upstream connection reuse."""
    if "ringway" not in results or median_reuse(results["ringway"]) is None:
        return []
    value = median_reuse(results["ringway"])
    return [{"ratio": "ringway upstream reuse", "target": f">= {UPSTREAM_REUSE_TARGET:.2f}",
             "value": round(value, 5), "met": value >= UPSTREAM_REUSE_TARGET}]


def print_reuse(results):
    print()
    for name, rounds in results.items():
        reuse = median_reuse(rounds)
        if reuse is not None:
            print(f"{name} upstream reuse: {100 * reuse:.3f}% (new upstream connections over all"
                  f" rounds: {sum(m.upstream_connections for m in rounds)}, requests: "
                  f"{sum(m.requests for m in rounds)})")


def interleaved_rounds(options, scenario, servers, measure_once, describe):
    """Rounds of every server in turn (drift on the machine spreads over all of them)."""
    results = {name: [] for name in servers}
    for round_index in range(options.rounds):
        for name, server in servers.items():
            measurement = measure_once(server)
            results[name].append(measurement)
            print(f"{scenario}: round {round_index + 1}/{options.rounds} {name}: "
                  f"{describe(measurement)}", file=sys.stderr)
    return results


def run_rate(options, scenario, servers, backend, skipped, facts):
    """proxy-plain, proxy-tls-1k, proxy-tls-16k: wrk keepalive load through each proxy."""
    duration = proxy_duration(options)
    if not options.smoke:
        warmup_seconds = max(1, min(WARMUP_SECONDS_MAX, duration // 2))
        for name, server in servers.items():
            check_clean(name, measure_rate(scenario, server, backend, warmup_seconds,
                                           options.connections), False)

    def measure_once(server):
        measurement = measure_rate(scenario, server, backend, duration, options.connections)
        check_clean(server.spec.name, measurement, options.smoke)
        return measurement

    results = interleaved_rounds(
        options, scenario, servers, measure_once,
        lambda m: f"{m.requests_per_cpu_second:,.0f} req/CPU-s, {m.requests_per_second:,.0f}/s")
    medians = {name: dict(median_measurement(rounds), upstream_reuse=median_reuse(rounds))
               for name, rounds in results.items()}
    sets = ratio_sets(results)
    ratios = sets["per_cpu_second"]
    targets = (target_checks(scenario, ratios.get("ringway", {})) + reuse_check(results)
               + baseline_check(sets, "per_cpu_second"))
    print_report(scenario, medians, sets, skipped, facts, options.mode_heading)
    print_reuse({name: rounds for name, rounds in results.items() if name != "floor"})
    document = rate_document(results, medians, sets, targets, skipped)
    if "floor" in ratios and "ringway" in ratios:
        # A proxy touches two sockets per request: half the floor's rate is its floor.
        share = 2 * ratios["ringway"]["floor"]
        print(f"ringway vs half the floor (a proxy's floor): {share:.2f}")
        document["ringway_over_half_floor"] = round(share, 3)
    print_targets(targets)
    return document


def rate_document(results, medians, sets, targets, skipped, to_json=measurement_json,
                  headline="per_cpu_second"):
    """A scenario's JSON: `ratios` are the headline figure's, `figure_ratios` every figure's."""
    return {"servers": {name: {"median": medians[name],
                               "rounds": [to_json(m) for m in results[name]]}
                        for name in results},
            "ratios": sets[headline], "figure_ratios": sets, "targets": targets,
            "skipped": skipped}


def run_download(options, servers, skipped, tls):
    """proxy-download: sequential 100 MB HTTPS downloads through each proxy, bytes per CPU-s."""
    # The smoke's single round is one download each, checked like any other.
    duration = 0 if options.smoke else options.duration
    if not options.smoke:  # the check by hand and warm-up: one whole download, size and status
        for server in servers.values():
            run_downloads(server, tls, 0, strict=True)

    def one_round(server):
        return logged_run(server, lambda: run_downloads(server, tls, duration, options.smoke),
                          lambda measurement: measurement.downloads, 1)

    results = interleaved_rounds(
        options, "proxy-download", servers, one_round,
        lambda m: f"{m.bytes_per_cpu_second / 2**20:,.0f} MiB/CPU-s, {m.downloads} downloads")
    sets = ratio_sets(results, DOWNLOAD_FIGURES)
    ratios = sets["per_cpu_second"]
    targets = (target_checks("proxy-download", ratios.get("ringway", {}))
               + baseline_check(sets, "per_cpu_second"))
    medians = {name: {"bytes_per_cpu_second": statistics.median(
                          m.bytes_per_cpu_second for m in rounds),
                      "bytes_per_second": statistics.median(m.bytes_per_second for m in rounds),
                      "latency_p99_ms": statistics.median(m.latency_p99_ms for m in rounds),
                      "downloads": sum(m.downloads for m in rounds),
                      "errors": sum(m.errors for m in rounds),
                      "access_log_lines_per_request": median_log_lines(
                          rounds, lambda m: m.downloads)}
               for name, rounds in results.items()}
    print(f"\n== proxy-download{options.mode_heading} ({DOWNLOAD_BYTES // 2**20} MiB over HTTPS,"
          " sequential; p99 of one download's time)")
    print_table(medians, skipped, [
        ("MiB/CPU-s", 12, ",.0f", lambda m: m["bytes_per_cpu_second"] / 2**20),
        ("MiB/s", 10, ",.0f", lambda m: m["bytes_per_second"] / 2**20),
        ("p99 ms", 9, ",.0f", lambda m: m["latency_p99_ms"]),
        ("downloads", 11, "", lambda m: m["downloads"]),
        ("errors", 8, "", lambda m: m["errors"]), *access_log_column(medians)])
    print_ratio_table(ratios, "bytes per CPU-second, row / column (median of per-round ratios;"
                              " > 1: the row costs less CPU per byte)")
    print_versus(sets, DOWNLOAD_LABELS)
    print_new_over_old(sets, DOWNLOAD_LABELS)
    print_targets(targets)
    return rate_document(results, medians, sets, targets, skipped,
                         lambda m: dict(vars(m), bytes_per_cpu_second=round(m.bytes_per_cpu_second),
                                        latency_p99_ms=round(m.latency_p99_ms, 1)))


def nginx_maximum_rate(options, servers, backend, documents):
    """nginx's requests per second on proxy-plain: this run's median if it ran, else one run."""
    plain = documents.get("proxy-plain", {}).get("servers", {}).get("nginx")
    if plain is not None:
        return plain["median"]["requests_per_second"]
    measurement = measure_rate("proxy-plain", servers["nginx"], backend,
                               proxy_duration(options), options.connections)
    check_clean("nginx", measurement, options.smoke)
    return measurement.requests_per_second


def run_latency(options, servers, backend, skipped, documents):
    """proxy-latency: open-loop load at 80% of nginx's maximum, latency from the due time."""
    duration = proxy_duration(options)
    rate = round(LATENCY_RATE_SHARE * nginx_maximum_rate(options, servers, backend, documents))
    print(f"proxy-latency: {rate:,} requests/s ({LATENCY_RATE_SHARE:.0%} of nginx's maximum)",
          file=sys.stderr)
    if not options.smoke:
        for server in servers.values():
            run_rate_load(options, server, backend, rate, 1, options.smoke)

    def one_round(server):
        return logged_run(server, lambda: run_rate_load(options, server, backend, rate, duration,
                                                        options.smoke),
                          lambda measurement: measurement.requests, options.connections)

    results = interleaved_rounds(
        options, "proxy-latency", servers, one_round,
        lambda m: f"p99 {m.latency_p99_ms:.3f} ms, p50 {m.latency_p50_ms:.3f} ms")
    sets = ratio_sets(results, LATENCY_FIGURES)
    ratios = sets["p99"]
    targets = (target_checks("proxy-latency", ratios.get("ringway", {})) + reuse_check(results)
               + baseline_check(sets, "p99", "<="))
    keys = ("latency_p50_ms", "latency_p99_ms", "latency_p999_ms", "latency_max_ms",
            "achieved_rate", "requests_per_cpu_second")
    medians = {name: {key: statistics.median(getattr(m, key) for m in rounds) for key in keys}
               | {"errors": sum(m.errors for m in rounds), "upstream_reuse": median_reuse(rounds),
                  "access_log_lines_per_request": median_log_lines(rounds)}
               for name, rounds in results.items()}
    print(f"\n== proxy-latency{options.mode_heading} ({rate:,} requests/s on "
          f"{options.connections} connections, latency from each request's due time)")
    print_table(medians, skipped, [
        ("p50 ms", 9, ".3f", lambda m: m["latency_p50_ms"]),
        ("p99 ms", 9, ".3f", lambda m: m["latency_p99_ms"]),
        ("p99.9 ms", 10, ".3f", lambda m: m["latency_p999_ms"]),
        ("max ms", 9, ".3f", lambda m: m["latency_max_ms"]),
        ("req/s", 10, ",.0f", lambda m: m["achieved_rate"]),
        ("req/CPU-s", 11, ",.0f", lambda m: m["requests_per_cpu_second"]),
        ("errors", 8, "", lambda m: m["errors"]), *access_log_column(medians)])
    print_ratio_table(ratios, "p99 latency, row / column (median of per-round ratios; < 1: the "
                              "row answers faster)")
    print_versus(sets, LATENCY_LABELS)
    print_new_over_old(sets, LATENCY_LABELS)
    print_reuse(results)
    print_targets(targets)
    document = rate_document(results, medians, sets, targets, skipped,
                             lambda m: dict(vars(m)), headline="p99")
    document["rate"] = rate
    return document


def proxy_duration(options):
    return SMOKE_PROXY_DURATION_SECONDS if options.smoke else options.duration


def make_backend_spec(directory):
    """The backend nginx, pinned with the load, and the files it serves."""
    root = directory / "backend-root"
    write_backend_files(root)
    # nginx's worker runs as nobody when started as root: it must be able to reach its files
    # (the temporary directory is 0700; traversal only, nothing becomes listable).
    for parent in (directory.parent, directory):
        parent.chmod(parent.stat().st_mode | 0o011)
    prefix = directory / "backend"
    prefix.mkdir()
    port = free_port()
    command = server_command("nginx", prefix, backend_config(prefix, port, root))
    return ServerSpec("backend", port, ["taskset", "-c", CLIENT_CPU, *command],
                      directory / "backend.log")


def run_proxy_scenarios(options, scenarios, names, skipped, directory, tls):
    """Every requested proxy scenario, with the backend and the proxies started once."""
    proxies = [name for name in names if server_kind(name) in PROXY_SERVER_KINDS]
    if not proxies:
        raise HarnessError("proxy scenarios: no proxy to measure")
    left_out = {name: reason for name, reason in skipped.items()
                if server_kind(name) in PROXY_SERVER_KINDS}
    backend_spec = make_backend_spec(directory)
    documents = {}
    with contextlib.ExitStack() as stack:
        backend = Backend(stack.enter_context(started_server(backend_spec)))
        servers = {}
        with_floor = "floor" in names and "proxy-plain" in scenarios
        for name in proxies + (["floor"] if with_floor else []):
            spec = proxy_spec(name, directory, options, tls, backend_spec.port)
            servers[name] = stack.enter_context(started_server(spec))
            print(f"proxy: {name}: started (pid {servers[name].process.pid})", file=sys.stderr)
        facts = check_proxies(servers, scenarios, tls)
        proxy_servers = {name: servers[name] for name in proxies}
        for scenario in scenarios:
            if scenario in RATE_PATHS:
                chosen = servers if scenario == "proxy-plain" else proxy_servers
                documents[scenario] = run_rate(options, scenario, chosen, backend, left_out,
                                               facts if scenario != "proxy-plain" else {})
            elif scenario == "proxy-download":
                documents[scenario] = run_download(options, proxy_servers, left_out, tls)
            elif "nginx" not in proxy_servers:
                print("proxy-latency: skipped: needs nginx for its rate", file=sys.stderr)
            else:
                documents[scenario] = run_latency(options, proxy_servers, backend, left_out,
                                                  documents)
    return documents

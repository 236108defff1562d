"""Reports for bench/harness.py: medians over rounds, ratios taken within a round, the issue's
targets, and the tables printed for each scenario."""

import statistics
from dataclasses import asdict

# The targets, as ringway's figure over the peer's: work per CPU-second (at least the
# value), idle memory and p99 latency (at most the value).
TARGETS = {
    "tls-handshake": {"nginx": (">=", 1.6), "haproxy": (">=", 1.6)},
    "tls-keepalive": {"nginx": (">=", 1.3)},
    "tls-idle-memory": {"nginx": ("<=", 1 / 3)},
    "proxy-plain": {"nginx": (">=", 1.15)},
    "proxy-tls-1k": {"nginx": (">=", 1.3), "haproxy": (">=", 1.2)},
    "proxy-tls-16k": {"nginx": (">=", 1.3), "haproxy": (">=", 1.2)},
    "proxy-download": {"nginx": (">=", 1.2)},
    "proxy-latency": {"nginx": ("<=", 0.6)},
}
# Share of proxied requests that reused a pooled upstream connection, ringway's at least this.
UPSTREAM_REUSE_TARGET = 0.99


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


def requests_per_cpu_second(measurement):
    return measurement.requests_per_cpu_second


def ratio_matrix(results, figure=requests_per_cpu_second):
    """ratios[a][b]: median over rounds of a's figure (requests per CPU-second unless told)
    over b's, taken within the same round."""
    names = list(results)
    return {
        a: {
            b: statistics.median(figure(ra) / figure(rb)
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


REQUESTS = ("req/CPU-s", "requests", "request")
UNITS = {"redirect": REQUESTS, "tls-keepalive": REQUESTS,
         "tls-handshake": ("conn/CPU-s", "new connections", "handshake"),
         "proxy-plain": REQUESTS, "proxy-tls-1k": REQUESTS, "proxy-tls-16k": REQUESTS}


def print_table(medians, skipped, columns):
    """One row per server: `columns` are (title, width, format, value of a server's medians);
    then the skipped servers with their reasons."""
    print(f"{'server':<14}" + "".join(f"{title:>{width}}" for title, width, _, _ in columns))
    for name, median in medians.items():
        print(f"{name:<14}" + "".join(f"{value(median):>{width}{form}}"
                                      for _, width, form, value in columns))
    for name in skipped:
        print(f"{name:<14}skipped: {skipped[name]}")


def print_ratio_table(ratios, heading):
    """ratios[a][b] as a table, row over column."""
    if len(ratios) < 2:
        return
    names = list(ratios)
    print(f"\n{heading}")
    print(f"{'':<14}" + "".join(f"{name:>14}" for name in names))
    for a in names:
        cells = "".join(f"{'-':>14}" if a == b else f"{ratios[a][b]:>14.2f}" for b in names)
        print(f"{a:<14}{cells}")


def print_report(scenario, medians, ratios, skipped, facts):
    unit, plural, singular = UNITS[scenario]
    print(f"\n== {scenario}")
    print_table(medians, skipped, [
        (unit, 12, ",.0f", lambda m: m["requests_per_cpu_second"]),
        ("/s", 12, ",.0f", lambda m: m["requests_per_second"]),
        ("CPU-s/run", 11, ".2f", lambda m: m["cpu_seconds"]),
        ("p50 ms", 9, ".3f", lambda m: m["latency_p50_ms"]),
        ("p99 ms", 9, ".3f", lambda m: m["latency_p99_ms"]),
        ("errors", 8, "", lambda m: m["socket_errors"] + m["non_3xx_responses"])])
    for name, fact in facts.items():
        negotiated = fact.get("negotiated_by_tls_load")
        line = (f"{name:<14}{fact['version']}, {fact['cipher_openssl_client']} (OpenSSL client),"
                f" ALPN {fact['alpn']}, resumes an offered session: "
                f"{'yes' if fact['resumes_offered_session'] else 'no'}")
        if negotiated:
            line += f"; tls_load: {negotiated['cipher']}, {negotiated['group']}"
        print(line)
    print_ratio_table(ratios, f"{plural} per CPU-second, row / column (median of per-round "
                              f"ratios; > 1: the row costs less CPU per {singular})")
    if "ringway" in ratios:
        print()
        for peer, ratio in ratios["ringway"].items():
            print(f"ringway vs {peer}: {ratio:.2f}x the {plural} per CPU-second"
                  f" ({100 / ratio:.0f}% of {peer}'s CPU per {singular})")


def measurement_json(measurement):
    return dict(asdict(measurement),
                requests_per_cpu_second=round(measurement.requests_per_cpu_second, 1))

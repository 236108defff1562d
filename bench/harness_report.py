"""Reports for bench/harness.py: medians over rounds, ratios taken within a round, the issue's
targets, and the tables printed for each scenario."""

import statistics
from dataclasses import asdict

from harness_configs import RINGWAY_BASELINE

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
# An A/B run (--ringway-baseline): the new ringway's headline figure within this share of the
# old one's, or better.
BASELINE_TOLERANCE = 0.03
FIGURE_NAMES = {"per_cpu_second": "per CPU-second", "per_second": "per second", "p99": "p99",
                "bytes": "bytes per connection", "marginal": "marginal bytes per connection"}


def median_measurement(rounds):
    return {
        "requests_per_cpu_second": statistics.median(m.requests_per_cpu_second for m in rounds),
        "requests_per_second": statistics.median(m.requests_per_second for m in rounds),
        "cpu_seconds": statistics.median(m.cpu_seconds for m in rounds),
        "latency_p50_ms": statistics.median(m.latency_p50_ms for m in rounds),
        "latency_p99_ms": statistics.median(m.latency_p99_ms for m in rounds),
        "socket_errors": sum(m.socket_errors for m in rounds),
        "non_3xx_responses": sum(m.non_3xx_responses for m in rounds),
        "access_log_lines_per_request": median_log_lines(rounds),
    }


def requests_per_cpu_second(measurement):
    return measurement.requests_per_cpu_second


# The figures every closed-loop scenario reports: work per CPU-second (the headline), wall
# throughput and p99 latency, so that a lead per CPU-second bought with latency shows.
RATE_FIGURES = {"per_cpu_second": requests_per_cpu_second,
                "per_second": lambda m: m.requests_per_second,
                "p99": lambda m: m.latency_p99_ms}


def ratio_matrix(results, figure=requests_per_cpu_second):
    """ratios[a][b]: median over rounds of a's figure (requests per CPU-second unless told)
    over b's, taken within the same round; None where b's figure was never above zero."""
    names = list(results)

    def median_ratio(a, b):
        ratios = [figure(ra) / figure(rb) for ra, rb in zip(results[a], results[b])
                  if figure(rb) > 0]
        return statistics.median(ratios) if ratios else None

    return {a: {b: median_ratio(a, b) for b in names if b != a} for a in names}


def ratio_sets(results, figures=None):
    """{figure name: ratio_matrix} for `figures` ({name: function of a round}; RATE_FIGURES
    unless told)."""
    return {key: ratio_matrix(results, figure)
            for key, figure in (figures or RATE_FIGURES).items()}


def baseline_ratios(sets):
    """The new ringway's figures over the baseline's ({figure: ratio}), or None without one."""
    if RINGWAY_BASELINE not in next(iter(sets.values()), {}).get("ringway", {}):
        return None
    return {key: matrix["ringway"][RINGWAY_BASELINE] for key, matrix in sets.items()}


def baseline_check(sets, headline, relation=">="):
    """The A/B check on the headline figure: new/old at least 1 - 3 % (">=", more is better) or
    at most 1 + 3 % ("<=", less is better); [] without a baseline."""
    ratios = baseline_ratios(sets)
    if ratios is None or ratios[headline] is None:
        return []
    goal = 1 - BASELINE_TOLERANCE if relation == ">=" else 1 + BASELINE_TOLERANCE
    value = ratios[headline]
    met = value >= goal if relation == ">=" else value <= goal
    return [{"ratio": f"ringway/{RINGWAY_BASELINE} {FIGURE_NAMES[headline]} (new/old)",
             "target": f"{relation} {goal:.2f}", "value": round(value, 3), "met": met}]


def print_new_over_old(sets, labels, title=""):
    """One line: every figure of the new ringway over the baseline's, within the same round."""
    ratios = baseline_ratios(sets)
    if ratios is None:
        return
    cells = ", ".join(f"{labels[key]} {value:.3f}" for key, value in ratios.items()
                      if value is not None)
    print(f"new/old{title}: ringway / {RINGWAY_BASELINE}: {cells} (median of per-round ratios)")


def print_versus(sets, labels, name="ringway", title=""):
    """`name`'s row of every figure, one line per peer: each figure is name's over the peer's."""
    first = next(iter(sets.values()))
    if name not in first or not first[name]:
        return
    print(f"\n{name}'s figures over each peer's{title} (median of per-round ratios; a p99 "
          f"below 1: {name} answers faster):")
    for peer in first[name]:
        cells = ", ".join(f"{sets[key][name][peer]:.2f}x {labels[key]}" for key in sets
                          if sets[key][name][peer] is not None)
        print(f"{name} vs {peer}: {cells}")


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
    """One line per check: a ratio, or a figure in its `unit` (tls-idle-memory's bytes)."""
    for check in checks:
        value = (f"{check['value']:,.0f} {check['unit']}" if "unit" in check
                 else f"{check['value']:.3f}")
        print(f"target: {check['ratio']} {check['target']}: {value} "
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


def ratio_cell(value):
    return f"{'n/a':>14}" if value is None else f"{value:>14.2f}"


def print_ratio_table(ratios, heading):
    """ratios[a][b] as a table, row over column."""
    if len(ratios) < 2:
        return
    names = list(ratios)
    print(f"\n{heading}")
    print(f"{'':<14}" + "".join(f"{name:>14}" for name in names))
    for a in names:
        cells = "".join(f"{'-':>14}" if a == b else ratio_cell(ratios[a][b]) for b in names)
        print(f"{a:<14}{cells}")


def rate_labels(scenario):
    """How the figures of RATE_FIGURES read in this scenario's lines."""
    unit = UNITS[scenario][0]
    return {"per_cpu_second": unit, "per_second": unit.replace("/CPU-s", "/s"),
            "p99": "p99"}


def access_log_column(medians):
    """The table's access-log column where the run wrote logs: lines per request."""
    if not any(m.get("access_log_lines_per_request") is not None for m in medians.values()):
        return []
    return [("log lines/req", 14, ".3f", lambda m: m["access_log_lines_per_request"] or 0)]


def print_report(scenario, medians, sets, skipped, facts, mode=""):
    """A closed-loop scenario: the table of medians, what TLS negotiated, the ratio table of
    work per CPU-second, then ringway's row of every figure and the new/old line. `mode` goes
    into the heading (the access-log mode)."""
    unit, plural, singular = UNITS[scenario]
    print(f"\n== {scenario}{mode}")
    print_table(medians, skipped, [
        (unit, 12, ",.0f", lambda m: m["requests_per_cpu_second"]),
        ("/s", 12, ",.0f", lambda m: m["requests_per_second"]),
        ("CPU-s/run", 11, ".2f", lambda m: m["cpu_seconds"]),
        ("p50 ms", 9, ".3f", lambda m: m["latency_p50_ms"]),
        ("p99 ms", 9, ".3f", lambda m: m["latency_p99_ms"]),
        ("errors", 8, "", lambda m: m["socket_errors"] + m["non_3xx_responses"]),
        *access_log_column(medians)])
    for name, fact in facts.items():
        negotiated = fact.get("negotiated_by_tls_load")
        line = (f"{name:<14}{fact['version']}, {fact['cipher_openssl_client']} (OpenSSL client),"
                f" ALPN {fact['alpn']}, resumes an offered session: "
                f"{'yes' if fact['resumes_offered_session'] else 'no'}")
        if negotiated:
            line += f"; tls_load: {negotiated['cipher']}, {negotiated['group']}"
        print(line)
    print_ratio_table(sets["per_cpu_second"],
                      f"{plural} per CPU-second, row / column (median of per-round ratios; > 1: "
                      f"the row costs less CPU per {singular})")
    print_versus(sets, rate_labels(scenario))
    print_new_over_old(sets, rate_labels(scenario))


def median_log_lines(rounds, requests=lambda m: m.requests):
    """Access-log lines per request over the rounds (median), or None where nothing logged."""
    shares = [m.access_log_lines / requests(m) for m in rounds
              if getattr(m, "access_log_lines", None) is not None and requests(m)]
    return statistics.median(shares) if shares else None


def measurement_json(measurement):
    return dict(asdict(measurement),
                requests_per_cpu_second=round(measurement.requests_per_cpu_second, 1))

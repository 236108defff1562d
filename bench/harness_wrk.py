"""The load most scenarios of bench/harness.py use: one `wrk -t1` run pinned to the client CPU,
read into a Measurement with the server's CPU time over it."""

import re
import subprocess
import sys
from dataclasses import dataclass

from harness_processes import CLIENT_CPU, REQUEST_HOST, HarnessError

LATENCY_UNITS_TO_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


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



def check_clean(name, measurement, strict):
    """Errors or bad answers mean a broken server: fatal in smoke mode, noted otherwise."""
    if measurement.socket_errors == 0 and measurement.non_3xx_responses == 0:
        return
    message = (f"{name}: the load saw {measurement.socket_errors} socket errors and "
               f"{measurement.non_3xx_responses} non-2xx/3xx responses")
    if strict:
        raise HarnessError(message)
    print(f"warning: {message}", file=sys.stderr)

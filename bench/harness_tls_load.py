"""bench/tls_load for bench/harness.py: running it pinned to the client CPU and reading its JSON
lines (the handshake load's result, the idle load's "ready" and "done")."""

import json
import select
import subprocess

from harness_processes import CLIENT_CPU, HarnessError, log_tail
from harness_wrk import Measurement


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

"""The loads of the proxy scenarios that wrk cannot make: sequential 100 MB downloads with curl,
and bench/rate_load's open-loop fixed-rate requests. Both pinned to the client CPU; the
proxy's CPU time is read around each run."""

import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass, field

from harness_processes import (CLIENT_CPU, LISTEN_ADDRESS, REQUEST_HOST, HarnessError,
                               check_alive, cpu_seconds)
from proxy_configs import DOWNLOAD_BYTES, DOWNLOAD_PATH, PLAIN_PATH

CURL_TIMEOUT_SECONDS = 120


@dataclass
class DownloadMeasurement:
    downloads: int
    bytes: int
    cpu_seconds: float
    seconds: float
    errors: int
    download_seconds: list = field(default_factory=list)  # of each download, in order
    access_log_lines: int = None

    @property
    def bytes_per_cpu_second(self):
        return self.bytes / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")

    @property
    def bytes_per_second(self):
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def latency_p99_ms(self):
        """The p99 of one download's time (nearest rank: the slowest under 100 downloads)."""
        if not self.download_seconds:
            return 0.0
        ordered = sorted(self.download_seconds)
        return 1000 * ordered[math.ceil(0.99 * len(ordered)) - 1]


@dataclass
class LatencyMeasurement:
    """One rate_load run: requests due at a fixed rate, latency from their due time."""
    rate: float
    requests: int  # completed
    achieved_rate: float
    cpu_seconds: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_p999_ms: float
    latency_max_ms: float
    errors: int  # failed connections, and requests lost, unfinished or answered non-2xx
    upstream_connections: int
    upstream_requests: int
    access_log_lines: int = None

    @property
    def requests_per_cpu_second(self):
        return self.requests / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")

    @property
    def upstream_reuse(self):
        return 1 - self.upstream_connections / self.requests if self.requests else None


def report_problem(message, strict):
    """A broken server: fatal in smoke mode, a warning otherwise."""
    if strict:
        raise HarnessError(message)
    print(f"warning: {message}", file=sys.stderr)


def download_once(server, tls):
    """One whole download through the proxy's HTTPS port; (bytes, curl's seconds from start to
    the last byte, error or None)."""
    port = server.spec.tls_port
    command = ["taskset", "-c", CLIENT_CPU, "curl", "-sS", "--http1.1", "--cacert", str(tls.ca),
               "--resolve", f"{REQUEST_HOST}:{port}:{LISTEN_ADDRESS}", "-o", "/dev/null",
               "-w", "%{http_code} %{size_download} %{time_total}",
               f"https://{REQUEST_HOST}:{port}{DOWNLOAD_PATH}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=CURL_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return 0, CURL_TIMEOUT_SECONDS, f"curl took over {CURL_TIMEOUT_SECONDS} s"
    status, size, total = (result.stdout.split() + ["", "", ""])[:3]
    received = int(size) if size.isdigit() else 0
    seconds = float(total) if total.replace(".", "", 1).isdigit() else 0.0
    if result.returncode != 0 or status != "200" or received != DOWNLOAD_BYTES:
        return received, seconds, (f"curl exit {result.returncode}, status {status}, "
                                   f"{received} of {DOWNLOAD_BYTES} bytes "
                                   f"{result.stderr.strip()}")
    return received, seconds, None


def run_downloads(server, tls, duration_seconds, strict):
    """Downloads one after another until duration_seconds have passed (at least one; with a
    duration of 0, exactly one)."""
    name = server.spec.name
    downloads = errors = received = 0
    download_seconds = []
    cpu_before = cpu_seconds(server.process.pid)
    start = time.monotonic()
    while downloads == 0 or time.monotonic() - start < duration_seconds:
        size, download_time, error = download_once(server, tls)
        download_seconds.append(download_time)
        downloads += 1
        received += size
        if error:
            errors += 1
            report_problem(f"{name}: download through the proxy failed: {error}", strict)
    seconds = time.monotonic() - start
    cpu = round(cpu_seconds(server.process.pid) - cpu_before, 3)
    check_alive(server)
    return DownloadMeasurement(downloads, received, cpu, round(seconds, 3), errors,
                               download_seconds)


def run_rate_load(options, server, backend, rate, duration_seconds, strict):
    """bench/rate_load at `rate` requests per second against the proxy's plain port."""
    command = ["taskset", "-c", CLIENT_CPU, str(options.rate_load), "--port", server.spec.port,
               "--path", PLAIN_PATH, "--host", REQUEST_HOST, "--rate", rate,
               "--connections", options.connections, "--duration", duration_seconds]
    before = backend.counters()
    cpu_before = cpu_seconds(server.process.pid)
    try:
        result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                                timeout=duration_seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise HarnessError("rate_load did not finish in time") from error
    cpu = round(cpu_seconds(server.process.pid) - cpu_before, 3)
    upstream = backend.new_since(before)
    check_alive(server)
    if result.returncode != 0:
        raise HarnessError(f"rate_load failed ({result.returncode}):\n{result.stderr}")
    try:
        report = json.loads(result.stdout)
    except ValueError as error:
        raise HarnessError(f"unexpected rate_load output:\n{result.stdout}") from error
    errors = report["errors"] + report["unfinished"] + report["bad_status"]
    if errors:
        report_problem(f"{server.spec.name}: rate_load saw {report['errors']} failed "
                       f"connections, {report['bad_status']} non-2xx answers and "
                       f"{report['unfinished']} unfinished requests (first error: "
                       f"{report['first_error'] or 'none'})", strict)
    return LatencyMeasurement(
        rate=report["rate"], requests=report["completed"],
        achieved_rate=report["achieved_rate"], cpu_seconds=cpu,
        latency_p50_ms=report["latency_p50_ms"], latency_p99_ms=report["latency_p99_ms"],
        latency_p999_ms=report["latency_p999_ms"], latency_max_ms=report["latency_max_ms"],
        errors=errors, **upstream)

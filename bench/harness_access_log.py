"""Access logs for bench/harness.py --access-log: where each server writes one line per request,
and the check that it really did (a log silently left off would flatter a server).

Before each measured run the server's log is emptied; after it, once the file has stopped
growing, its lines are counted against the requests the load completed. Every server opens its
log with O_APPEND (nginx, ringway; HAProxy's stdout is opened so by the harness), so emptying it
under a running server is safe."""

import os
import time

from harness_processes import HarnessError

SETTLE_POLL_SECONDS = 0.05
SETTLE_TIMEOUT_SECONDS = 3.0
READ_CHUNK_BYTES = 1 << 20


def access_log_path(directory, name):
    return directory / f"{name}-access.log"


def file_size(path):
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def wait_until_settled(path):
    """Waits (bounded) until the file has kept its size over two polls: writes that were queued
    when the load stopped (ringway's are submitted once per loop turn) have landed."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    size = file_size(path)
    steady_polls = 0
    while steady_polls < 2 and time.monotonic() < deadline:
        time.sleep(SETTLE_POLL_SECONDS)
        now = file_size(path)
        steady_polls = steady_polls + 1 if now == size else 0
        size = now


def empty_log(path):
    """Lets late writes land, then truncates the log to nothing."""
    wait_until_settled(path)
    if path.exists():
        os.truncate(path, 0)


def count_lines(path):
    """Lines in the log once it has settled; 0 where the server never created it."""
    wait_until_settled(path)
    if not path.exists():
        return 0
    lines = 0
    with open(path, "rb") as log:
        while chunk := log.read(READ_CHUNK_BYTES):
            lines += chunk.count(b"\n")
    return lines


def check_line_count(name, lines, requests, in_flight):
    """Roughly one line per request: at least the completed requests (less 1 %), at most those
    plus the ones in flight when the load stopped (plus 1 %). Always fatal, smoke or not."""
    slack = requests // 100
    low, high = requests - slack, requests + in_flight + slack
    if not low <= lines <= high:
        raise HarnessError(f"{name}: access log has {lines} lines for {requests} completed "
                           f"requests (expected {low}..{high}): is it writing every request?")


def logged_run(server, run, requests_of, in_flight):
    """run() with the server's access log emptied first; its lines counted and checked after.
    Returns run()'s measurement with `access_log_lines` set; without an access log, as is."""
    path = server.spec.access_log
    if path is None:
        return run()
    empty_log(path)
    measurement = run()
    lines = count_lines(path)
    check_line_count(server.spec.name, lines, requests_of(measurement), in_flight)
    measurement.access_log_lines = lines
    return measurement

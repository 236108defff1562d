"""Servers for bench/harness.py: start them pinned, wait for their ports, read their CPU time and
memory from /proc, and stop them by PID."""

import contextlib
import os
import resource
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_CPU = "0"
CLIENT_CPU = "1"
LISTEN_ADDRESS = "127.0.0.1"
REQUEST_HOST = "localhost"
READY_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 5.0
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


class HarnessError(Exception):
    """A failure that makes the measurement meaningless: a server, wrk or a response."""


@dataclass
class ServerSpec:
    name: str
    port: int
    command: list
    log_path: Path
    tls_port: int = 0
    access_log: Path = None  # with --access-log: the file of one line per request
    access_log_on_stdout: bool = False  # HAProxy's `log stdout`: the harness opens the file


@dataclass
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen
    log_file: object
    stdout_file: object = None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LISTEN_ADDRESS, 0))
        return probe.getsockname()[1]


def open_file_limit():
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_file_limit(wanted):
    """Servers and clients inherit this; 10,000 idle connections need more than 1024 files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))  # as root
            return
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def process_tree(root_pid):
    """root_pid and all its descendants that are alive now."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent_pid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(parent_pid, []).append(int(entry))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def cpu_seconds(root_pid):
    """utime+stime of the server and its children (nginx's worker), all threads included."""
    total_ticks = 0
    for pid in process_tree(root_pid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total_ticks += int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15
    return total_ticks / CLOCK_TICKS_PER_SECOND


def memory_bytes(root_pid):
    """VmRSS and RssAnon summed over the server and its children (nginx's master and worker)."""
    rss = anonymous = 0
    for pid in process_tree(root_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("RssAnon:"):
                anonymous += int(line.split()[1]) * 1024
    return rss, anonymous


def log_tail(path, lines=15):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_listening(server):
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    ports = [port for port in (server.spec.port, server.spec.tls_port) if port]
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise HarnessError(f"{server.spec.name} exited with status {server.process.returncode}"
                               f" before listening:\n{log_tail(server.spec.log_path)}")
        with contextlib.suppress(OSError):
            for port in ports:
                with socket.create_connection((LISTEN_ADDRESS, port), timeout=0.5):
                    pass
            return
        time.sleep(0.05)
    raise HarnessError(f"{server.spec.name} did not listen on port(s) "
                       f"{', '.join(map(str, ports))} within {READY_TIMEOUT_SECONDS:.0f} s:\n"
                       f"{log_tail(server.spec.log_path)}")


def stop_server(server):
    """SIGTERM by PID, SIGKILL after a bounded wait; leftover children are killed by PID too."""
    tree = process_tree(server.process.pid) if server.process.poll() is None else []
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    for pid in tree[1:]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.log_file.close()
    if server.stdout_file is not None:
        server.stdout_file.close()


@contextlib.contextmanager
def started_server(spec):
    log_file = open(spec.log_path, "wb")
    # Appending, as nginx and ringway open their logs: the harness empties it between runs.
    on_stdout = spec.access_log is not None and spec.access_log_on_stdout
    stdout_file = open(spec.access_log, "ab") if on_stdout else None
    try:
        process = subprocess.Popen(spec.command, stdin=subprocess.DEVNULL,
                                   stdout=stdout_file or log_file,
                                   stderr=log_file if stdout_file else subprocess.STDOUT)
    except OSError as error:
        log_file.close()
        if stdout_file is not None:
            stdout_file.close()
        raise HarnessError(f"{spec.name} could not start: {error}") from error
    server = RunningServer(spec, process, log_file, stdout_file)
    try:
        wait_until_listening(server)
        yield server
    finally:
        stop_server(server)


def check_alive(server):
    if server.process.poll() is not None:
        raise HarnessError(f"{server.spec.name} exited during the run:\n"
                           f"{log_tail(server.spec.log_path)}")

#!/usr/bin/env python3
"""An upstream named by DNS whose answers change while clients keep asking.

Everything runs on loopback, started here and stopped by PID:
  DNS       pebble-challtestsrv on a free UDP port of 127.0.0.1 (its TTL is always 0, so
            ringway's `[resolver] valid = "2s"` decides when it asks again). The test changes
            its answers through the management API: backend.test has no records of its own,
            so the server answers with its default IPv4 address, which /set-default-ipv4
            swaps in one request (/add-a adds to a name's records and /clear-a then /add-a
            would leave a moment without any); "" there means NOERROR with no records. One
            test gives the name two records with /add-a.
  backends  two copies of this file run as `--backend`: HTTP/1.1 keepalive servers on
            127.0.0.2:P and 127.0.0.3:P (the same port: the upstream URL names backend.test:P)
            that answer "backend=<name>" and log the monotonic time of every request
            (/close... answers with Connection: close, so ringway cannot pool it).
  ringway   workers = 1 (one upstream pool), an HTTPS site svc.test whose upstream is
            http://backend.test:P, resolved through the DNS server above.
  clients   a loop of HTTPS requests in threads: one client keeps its connection alive,
            one opens a new connection per request (TLS handshake included); each request
            is recorded with its send and answer times, the backend that answered, or the error.

What ringway must do (asserted below):
  - a moved backend (new A record, then the old one stopped) is used within valid + 1 s of
    the change, with no failed request; no request reaches the old address once the new one
    answered, pooled keepalive connections to it included;
  - the same for a move to an IPv6 address (AAAA records only, backend on [::1]:P);
  - a refused connect moves on to the set's next address (every request still answered);
  - stop-first (old backend stopped, then the record changed): requests fail only until the
    new answer is taken up, and all succeed from valid + 1 s after the change;
  - the DNS server gone: requests go on to the last good address for several validity
    periods, the failure is logged once (not per retry), and recovery once;
  - an answer without any A or AAAA record: the same as a failure. ringway keeps the last good
    addresses (a redeploy can leave a name without records for a moment; the old address
    is more useful than a 502), logs it once, and takes the next real answer."""

import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import free_port, poll, request  # noqa: E402
from test_proxy import TlsClient, make_live_dir, start_proxy_ringway  # noqa: E402

VALID_S = 2.0  # [resolver] valid
PICKUP_S = VALID_S + 1.0  # a change must be in use this long after it was made
DNS_TIMEOUT_S = 0.5  # [resolver] timeout
NAME = "backend.test"
SITE = "svc.test"
OLD, NEW = "127.0.0.2", "127.0.0.3"
IO = 5.0


# --------------------------------------------------------------------------------------
# The backend (this file run with --backend ADDRESS PORT NAME LOG)
# --------------------------------------------------------------------------------------

def run_backend(address, port, name, log_path):
    log = open(log_path, "a", buffering=1)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30
        # Head and body leave in one write (at the handler's flush): a stop that lands
        # between two writes would cut a 200 short, the backend's doing, not ringway's.
        wbufsize = -1

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            with lock:
                log.write(f"{time.monotonic():.6f} {self.path}\n")
            body = f"backend={name}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            if self.path.startswith("/close"):  # no pooling: the next request connects anew
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        address_family = socket.AF_INET6 if ":" in address else socket.AF_INET

    Server((address, port), Handler).serve_forever(poll_interval=0.05)


class Backend:
    """One backend process; stop() is a container stop: SIGTERM, the kernel closes every
    socket (keepalive connections included)."""

    def __init__(self, tmp, address, port, name):
        self.address, self.port, self.name = address, port, name
        self.log_path = os.path.join(tmp, f"backend-{name}.log")
        self.err_path = os.path.join(tmp, f"backend-{name}.stderr")
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--backend", address, str(port),
                 name, self.log_path], stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                start_new_session=True)
        if not poll(self._listening, 10):
            self.stop()
            raise AssertionError(f"backend {name} did not listen on {address}:{port}: "
                                 f"{open(self.err_path).read()[-2000:]}")

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"backend {self.name} exited: "
                                 f"{open(self.err_path).read()[-2000:]}")
        try:
            socket.create_connection((self.address, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    @property
    def authority(self):
        return f"[{self.address}]:{self.port}" if ":" in self.address else \
            f"{self.address}:{self.port}"

    def request_times(self):
        """Monotonic times at which this backend received a request (the readiness probe
        above is a bare connect, not a request)."""
        try:
            with open(self.log_path) as f:
                return [float(line.split(" ", 1)[0]) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# --------------------------------------------------------------------------------------
# The DNS server
# --------------------------------------------------------------------------------------

class DnsServer:
    """pebble-challtestsrv answering only what the test set (no default addresses at the
    start). Also used by test_acme_peer_pebble.py."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.dns_port = free_port(udp=True)
        self.management_port = free_port()
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.log_path = os.path.join(self.tmp, f"challtestsrv-{self.starts}.log")
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "",
                 "-https01", "", "-tlsalpn01", "", "-management",
                 f"127.0.0.1:{self.management_port}", "-defaultIPv4", "", "-defaultIPv6", ""],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        if not poll(self._listening, 10):
            raise AssertionError(f"pebble-challtestsrv did not start: {self.output()}")
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"pebble-challtestsrv exited: {self.output()}")
        try:
            socket.create_connection(("127.0.0.1", self.management_port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def _post(self, path, payload):
        req = urllib.request.Request(f"http://127.0.0.1:{self.management_port}{path}",
                                     data=json.dumps(payload).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            if r.status != 200:
                raise AssertionError(f"challtestsrv {path}: {r.status}")

    def answer(self, address):
        """The one A record every name without records of its own gets, swapped in one
        request; "": no A record (NOERROR, empty answer)."""
        self._post("/set-default-ipv4", {"ip": address})

    def answer_ipv6(self, address):
        """The same for AAAA records."""
        self._post("/set-default-ipv6", {"ip": address})

    def add_a(self, name, *addresses):
        """A records of the name itself (added to any it has); they take the place of the
        default answer."""
        self._post("/add-a", {"host": name + ".", "addresses": list(addresses)})

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# --------------------------------------------------------------------------------------
# The client loop
# --------------------------------------------------------------------------------------

class Result:
    def __init__(self, client, sent, done, backend, error):
        self.client, self.sent, self.done = client, sent, done
        self.backend, self.error = backend, error

    def __repr__(self):
        what = self.backend if self.error is None else f"error {self.error}"
        return f"<{self.client} sent {self.sent:.3f} done {self.done:.3f}: {what}>"


class ClientLoop:
    """HTTPS GETs in two threads until stop(): 'keepalive' reuses one connection (a new one
    after an error), 'fresh' opens a new connection per request. Bounded: every request
    has a timeout and the loop ends at max_seconds."""

    def __init__(self, port, cafile, max_seconds=60.0, pause=0.02):
        self.port, self.cafile = port, cafile
        self.max_seconds, self.pause = max_seconds, pause
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(kind,), daemon=True)
                        for kind in ("keepalive", "fresh")]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(IO * 3)
        if any(thread.is_alive() for thread in self.threads):
            raise AssertionError("the client loop did not stop")
        return self.snapshot()

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def _one(self, kind, conn):
        if conn is None:
            conn = TlsClient.open(self.port, SITE, self.cafile, timeout=IO)
        headers = [] if kind == "keepalive" else [("Connection", "close")]
        conn.send(request("GET", "/", host=SITE, headers=headers))
        response = conn.read_response(timeout=IO)
        if response.status != 200:
            raise AssertionError(f"status {response.status} {response.body[:100]!r}")
        match = re.fullmatch(rb"backend=(\w+)\n", response.body)
        if match is None:
            raise AssertionError(f"unexpected body {response.body[:100]!r}")
        return conn, match.group(1).decode()

    def _run(self, kind):
        deadline = time.monotonic() + self.max_seconds
        conn = None
        while not self.stopping.is_set() and time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                conn, backend = self._one(kind, conn)
                error = None
            except Exception as e:  # every failure is recorded and counted
                backend, error = None, f"{type(e).__name__}: {e}"
            with self.lock:
                self.results.append(Result(kind, sent, time.monotonic(), backend, error))
            if kind == "fresh" or error is not None:
                if conn is not None:
                    conn.close()
                conn = None
            time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def wait_for(self, predicate, timeout):
        """The first result (in answer order) for which predicate holds, waiting (bounded)."""
        found = poll(lambda: next((r for r in sorted(self.snapshot(), key=lambda r: r.done)
                                   if predicate(r)), None), timeout, interval=0.02)
        return found or None


# --------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------

class DnsUpstream(unittest.TestCase):

    def setUp(self):
        for tool in ("pebble-challtestsrv", "openssl"):
            if shutil.which(tool) is None:
                self.fail(f"{tool} is not installed (apt-get install pebble openssl)")
        self.tmp = tempfile.mkdtemp(prefix="ringway-dns-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.dns = DnsServer(self.tmp).start()
        self.addCleanup(self.dns.stop)
        self.dns.answer(OLD)
        backend_port = free_port(ipv6=True)
        self.old = Backend(self.tmp, OLD, backend_port, "old")
        self.addCleanup(self.old.stop)
        self.new = Backend(self.tmp, NEW, backend_port, "new")
        self.addCleanup(self.new.stop)
        self.upstream = f"{NAME}:{backend_port}"
        self.start_ringway(backend_port)
        self.loop = None
        first = poll(lambda: self.one_request() == "old", 10, interval=0.1)
        self.assertTrue(first, f"svc.test never answered from the old backend {self.diag()}")

    def start_ringway(self, backend_port):
        live, self.cafile = make_live_dir(os.path.join(self.tmp, "le"), SITE)
        webroot = os.path.join(self.tmp, "webroot")
        os.makedirs(webroot)
        sites = [dict(hosts=[SITE], certificate=live, upstream=f"http://{self.upstream}")]
        # Long enough that a request waiting for one shows as slow (see the stop-first test).
        timeouts = {"upstream_connect": "5s", "upstream_response": "5s"}
        # A stopped server is usually a timeout, not a refusal: keep each try short.
        resolver = (f'\n[resolver]\nservers = ["127.0.0.1:{self.dns.dns_port}"]\n'
                    f'valid = "{VALID_S:g}s"\ntimeout = "{round(DNS_TIMEOUT_S * 1000)}ms"\n')
        self.rw, _http_port, self.port = start_proxy_ringway(self.tmp, webroot, sites, "off",
                                                             timeouts, resolver)
        self.addCleanup(self.stop_ringway)

    def stop_ringway(self):
        if self.loop is not None:
            self.loop.stop()
        rc, killed = self.rw.stop()
        report = self.rw.sanitizer_report()
        self.assertIsNone(report, f"sanitizer report in ringway's stderr:\n{report}")
        self.assertEqual((rc, killed), (0, False), self.diag())

    def diag(self):
        return f"[ringway stderr: {self.rw.stderr_text()[-3000:]!r}]"

    def one_request(self, path="/"):
        try:
            c = TlsClient.open(self.port, SITE, self.cafile, timeout=IO)
            try:
                c.send(request("GET", path, host=SITE, headers=[("Connection", "close")]))
                r = c.read_response(timeout=IO)
            finally:
                c.close()
        except (OSError, AssertionError):
            return None
        m = re.fullmatch(rb"backend=(\w+)\n", r.body) if r.status == 200 else None
        return m.group(1).decode() if m else None

    def dns_lines(self, text):
        """ringway's stderr lines about this upstream that contain text."""
        return [line for line in self.rw.stderr_text().splitlines()
                if f"dns: {self.upstream} " in line and text in line]

    def start_loop(self, warmup_s=1.0):
        self.loop = ClientLoop(self.port, self.cafile).start()
        time.sleep(warmup_s)
        results = self.loop.snapshot()
        self.assertTrue(results and all(r.backend == "old" for r in results),
                        f"before any change: {results} {self.diag()}")

    def stop_loop(self):
        results = self.loop.stop()
        self.loop = None
        return results

    def wait_pickup(self, since):
        """The first answer from the new backend to a request sent after `since`; fails
        unless it came within PICKUP_S."""
        first = self.loop.wait_for(lambda r: r.backend == "new" and r.sent >= since,
                                   PICKUP_S + 2)
        self.assertIsNotNone(first, f"the new address was not used within {PICKUP_S + 2} s: "
                                    f"{self.loop.snapshot()[-5:]} {self.diag()}")
        print(f"\n  new address answered {first.done - since:.2f} s after the change", end=" ",
              file=sys.stderr)
        self.assertLessEqual(first.done - since, PICKUP_S,
                             f"the new address was used {first.done - since:.2f} s after the "
                             f"change (valid = {VALID_S:g}s) {self.diag()}")
        return first

    def assert_old_kept(self, results, since, until):
        bad = [r for r in results if since <= r.sent and r.done <= until
               and (r.error is not None or r.backend != "old")]
        self.assertEqual(bad, [], f"requests not served by the last good address {self.diag()}")

    # -- (a) and (d): a backend moved, then the old one stopped --

    def test_moved_backend_is_used_within_valid_without_errors(self):
        self.start_loop()
        moved = time.monotonic()
        self.dns.answer(NEW)
        first_new = self.wait_pickup(moved)
        # Stop the old backend only once the new answer must have been taken up.
        time.sleep(max(0.0, moved + PICKUP_S - time.monotonic()) + 0.5)
        old_stopped = time.monotonic()
        self.old.stop()
        time.sleep(1.5)
        results = self.stop_loop()

        errors = [r for r in results if r.error is not None]
        self.assertEqual(errors, [], f"{len(errors)} of {len(results)} requests failed across "
                                     f"the move {self.diag()}")
        after = [r for r in results if r.sent > first_new.done]
        self.assertTrue(any(r.sent > old_stopped for r in after), "no request after the stop")
        stale = [r for r in after if r.backend != "new"]
        self.assertEqual(stale, [], "answered by the old address after the new one answered")
        for kind in ("keepalive", "fresh"):
            self.assertTrue(any(r.client == kind for r in after), f"no {kind} request after")
        # (d) Nothing reached the old address after that, over pooled connections or new ones.
        late = [t for t in self.old.request_times() if t > first_new.done]
        self.assertEqual(late, [], f"the old backend got {len(late)} requests after the new "
                                   f"address answered (first at {first_new.done:.3f})")
        self.assertEqual(len(self.dns_lines(f"now resolves to {NEW}:")), 1, self.diag())

    def test_pooled_connection_to_a_moved_address_is_not_reused(self):
        # One idle pooled connection to the old address, no traffic while the answer changes.
        self.assertEqual(self.one_request(), "old")
        moved = time.monotonic()
        self.dns.answer(NEW)
        self.assertTrue(poll(lambda: self.dns_lines(f"now resolves to {NEW}:"), PICKUP_S),
                        f"ringway did not log the new answer within {PICKUP_S} s {self.diag()}")
        time.sleep(0.3)  # workers take up a new snapshot within one loop turn (<= 100 ms)
        requested = time.monotonic()
        answers = [self.one_request() for _ in range(5)]
        self.assertEqual(answers, ["new"] * 5, self.diag())
        late = [t for t in self.old.request_times() if t > requested]
        self.assertEqual(late, [], "a pooled connection to the old address was reused")
        self.assertGreater(requested - moved, 0)

    def test_moved_to_an_ipv6_address(self):
        v6 = Backend(self.tmp, "::1", self.old.port, "v6")
        self.addCleanup(v6.stop)
        self.start_loop()
        self.dns.answer_ipv6(v6.address)  # A and AAAA for a moment: both answer
        self.dns.answer("")  # then AAAA only
        moved = time.monotonic()
        only_v6 = f"now resolves to {v6.authority} "
        self.assertTrue(poll(lambda: self.dns_lines(only_v6), PICKUP_S),
                        f"{only_v6!r} not logged within {PICKUP_S} s {self.diag()}")
        time.sleep(0.3)  # workers take up a new snapshot within one loop turn (<= 100 ms)
        taken_up = time.monotonic()
        self.old.stop()
        time.sleep(1.0)
        results = self.stop_loop()
        self.assertEqual([r for r in results if r.error is not None], [], self.diag())
        after = [r for r in results if r.sent > taken_up]
        self.assertGreater(len(after), 5, results[-5:])
        self.assertEqual([r for r in after if r.backend != "v6"], [], self.diag())
        self.assertEqual([t for t in self.old.request_times() if t > taken_up], [])
        self.assertGreater(taken_up, moved)

    # -- (a) the other order: a stop-first redeploy --

    def test_stop_first_redeploy_recovers_within_valid(self):
        self.start_loop()
        old_stopped = time.monotonic()
        self.old.stop()
        time.sleep(0.5)  # the new task starts elsewhere; its address is published after
        moved = time.monotonic()
        self.dns.answer(NEW)
        self.wait_pickup(moved)
        recovered_by = moved + PICKUP_S
        time.sleep(max(0.0, recovered_by + 1.5 - time.monotonic()))
        results = self.stop_loop()

        before = [r for r in results if r.done < old_stopped]
        self.assertTrue(before and all(r.backend == "old" for r in before), before[-3:])
        late = [r for r in results if r.sent >= recovered_by]
        self.assertGreater(len(late), 5, results[-5:])
        bad = [r for r in late if r.error is not None or r.backend != "new"]
        self.assertEqual(bad, [], f"not recovered {PICKUP_S} s after the change {self.diag()}")
        errors = [r for r in results if r.error is not None]
        print(f"(stop-first: {len(errors)} of {len(results)} requests failed)", end=" ",
              file=sys.stderr)
        outside = [r for r in errors if not old_stopped - IO <= r.sent <= recovered_by]
        self.assertEqual(outside, [], "errors outside the window of the redeploy")
        # Between the stop and the new answer: quick 502s, no hang to a timeout.
        slow = [r for r in errors if "status 502" not in r.error or r.done - r.sent > 2.0]
        self.assertEqual(slow, [], f"errors other than a quick 502 {self.diag()}")

    # -- the next address when one refuses --

    def test_address_that_refuses_is_skipped_for_the_next(self):
        self.dns.add_a(NAME, OLD, NEW)
        both = f"now resolves to {OLD}:{self.old.port}, {NEW}:{self.new.port}"
        self.assertTrue(poll(lambda: self.dns_lines(both), PICKUP_S), self.diag())
        self.old.stop()
        time.sleep(0.3)  # one worker loop turn takes up the snapshot
        answers = [self.one_request("/close") for _ in range(12)]
        # New connections take turns over the set; a refused one moves on to the next address.
        self.assertEqual(answers, ["new"] * 12, self.diag())
        # Connect errors are logged once a second with a count of the ones left out
        # since: a second later two more requests (one starts at OLD) bring the count.
        time.sleep(1.1)
        answers = [self.one_request("/close") for _ in range(2)]
        self.assertEqual(answers, ["new"] * 2, self.diag())
        lines = [line for line in self.rw.stderr_text().splitlines() if f"connect {OLD}:" in line]
        refusals = sum(1 + int(m.group(1)) if (m := re.search(r"\((\d+) more upstream", line))
                       else 1 for line in lines)
        self.assertGreaterEqual(refusals, 6,
                                f"the turns did not start at the refusing address half the "
                                f"time: {lines}")

    # -- (b) the DNS server gone --

    def test_dns_server_down_keeps_last_good_addresses_and_logs_once(self):
        self.start_loop()
        down = time.monotonic()
        self.dns.stop()
        periods = 4
        time.sleep(periods * VALID_S + 1)
        self.assert_old_kept(self.loop.snapshot(), down, time.monotonic())
        failing = self.dns_lines("lookups failing")
        self.assertEqual(len(failing), 1, f"the failure must be logged once, not per retry: "
                                          f"{failing}")
        self.assertIn(f"keeping the last good addresses {OLD}:", failing[0])

        self.dns.start()
        self.dns.answer(NEW)
        back = time.monotonic()
        self.wait_pickup(back)
        results = self.stop_loop()
        self.assertEqual([r for r in results if r.error is not None], [], self.diag())
        recovered = self.dns_lines("resolves again after")
        self.assertEqual(len(recovered), 1, recovered)
        retries = int(re.search(r"after (\d+) failed lookup", recovered[0]).group(1))
        # Retried all along: after valid_min, then every `valid` (plus the DNS timeout).
        self.assertGreaterEqual(retries, periods - 1, recovered[0])
        self.assertEqual(len(self.dns_lines("lookups failing")), 1, self.diag())

    # -- (c) an answer without addresses --

    def test_answer_without_records_keeps_last_good_addresses(self):
        self.start_loop()
        cleared = time.monotonic()
        self.dns.answer("")
        time.sleep(3 * VALID_S + 1)
        self.assert_old_kept(self.loop.snapshot(), cleared, time.monotonic())
        failing = self.dns_lines("lookups failing")
        self.assertEqual(len(failing), 1, failing)
        self.assertIn("no A or AAAA records", failing[0])
        self.assertIn(f"keeping the last good addresses {OLD}:", failing[0])

        refilled = time.monotonic()
        self.dns.answer(NEW)
        self.wait_pickup(refilled)
        results = self.stop_loop()
        self.assertEqual([r for r in results if r.error is not None], [], self.diag())
        self.assertEqual(len(self.dns_lines("resolves again after")), 1, self.diag())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--backend"]:
        run_backend(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        unittest.main(verbosity=2)

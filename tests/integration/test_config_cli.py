#!/usr/bin/env python3
"""The command line: version, check (ok / FILE:LINE:COLUMN: KEY: message), run with a bad
config, run without --config (the built-in demo)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import BINARY, Ringway, require_binary  # noqa: E402

GOOD_WEBROOT = "/tmp"


def cli(*args, timeout=10):
    require_binary()
    return subprocess.run([BINARY, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def good_config(webroot=GOOD_WEBROOT, port=18080, access="off", fmt="combined",
                workers="1", request_head='"10s"'):
    return f"""workers = {workers}

[http]
listen = ["127.0.0.1:{port}", "[::1]:{port}"]
acme_webroot = "{webroot}"
redirect_port = 443

[timeouts]
request_head = {request_head}
keepalive = "75s"
shutdown = "10s"

[limits]
connections_per_worker = 16384
request_head_bytes = 16384
header_count = 64

[log]
access = "{access}"
format = "{fmt}"
"""


class CliBase(unittest.TestCase):
    def setUp(self):
        require_binary(self)
        self.tmp = tempfile.mkdtemp(prefix="ringway-cli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.n = 0

    def write(self, text, name=None):
        self.n += 1
        path = os.path.join(self.tmp, name or f"c{self.n}.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def error_lines(self, path, stderr):
        """The (line, column, key, message) tuples of stderr lines in the spec's format."""
        out = []
        for ln in stderr.splitlines():
            m = re.fullmatch(re.escape(path) + r":(\d+):(\d+): ([^:\s]+): (.+)", ln)
            if m:
                out.append((int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)))
        return out

    def assert_check_error(self, text, line, key):
        """check exits 1 and prints FILE:LINE:COLUMN: KEY: message for the error; run with
        the same file exits nonzero naming FILE:LINE and the key, without serving."""
        path = self.write(text)
        p = cli("check", "--config", path)
        ctx = f"\n--- config ---\n{text}--- stdout ---\n{p.stdout}--- stderr ---\n{p.stderr}"
        self.assertEqual(p.returncode, 1, f"check exit status{ctx}")
        self.assertNotIn(f"{path}: ok", p.stdout, ctx)
        errors = self.error_lines(path, p.stderr)
        self.assertTrue(errors, f"no stderr line in the form FILE:LINE:COLUMN: KEY: message{ctx}")
        for ln in p.stderr.splitlines():
            if ln.strip():
                self.assertTrue(ln.startswith(path + ":"),
                                f"check: stderr line not in the error format: {ln!r}{ctx}")
        last = key.split(".")[-1]
        # The key may carry an array index: http.listen[1] names http.listen.
        match = [e for e in errors if e[0] == line
                 and re.fullmatch(r"(?:[\w-]+\.)*" + re.escape(last) + r"(?:\[\d+\])*", e[2])]
        self.assertTrue(match, f"no error at line {line} naming key {key!r}: {errors}{ctx}")
        self.assertGreaterEqual(match[0][1], 1, "column must be >= 1")

        rw = Ringway(self.tmp, args=["run", "--config", path])
        rw.start()
        rc = rw.wait(5)
        if rc is None:
            rw.stop(signal.SIGKILL, timeout=5)
            self.fail(f"run with a bad config kept running{ctx}")
        rw.stop()
        err = rw.stderr_text()
        self.assertNotEqual(rc, 0, f"run exit status with a bad config{ctx}")
        self.assertIn(f"{path}:{line}:", err, f"run: no FILE:LINE in stderr: {err!r}{ctx}")
        self.assertIn(last, err, f"run: key {key} not named: {err!r}")
        return errors

    def assert_syntax_error(self, text, line):
        path = self.write(text)
        p = cli("check", "--config", path)
        ctx = f"\n--- config ---\n{text}--- stderr ---\n{p.stderr}"
        self.assertEqual(p.returncode, 1, ctx)
        self.assertRegex(p.stderr, rf"(?m)^{re.escape(path)}:{line}:\d+: ", ctx)
        rw = Ringway(self.tmp, args=["run", "--config", path])
        rw.start()
        rc = rw.wait(5)
        if rc is None:
            rw.stop(signal.SIGKILL, timeout=5)
            self.fail(f"run with a bad config kept running{ctx}")
        rw.stop()
        self.assertNotEqual(rc, 0)
        self.assertIn(f"{path}:{line}:", rw.stderr_text())


class Version(CliBase):
    def test_version(self):
        p = cli("version")
        self.assertEqual(p.returncode, 0, p.stderr)
        first = p.stdout.splitlines()[0] if p.stdout else ""
        self.assertRegex(first, r"^ringway \d+\.\d+\.\d+\S*$", p.stdout)

    def test_unknown_command_and_no_args(self):
        for args in (["frobnicate"], [], ["run", "--bogus-flag"], ["check"]):
            with self.subTest(args=args):
                p = cli(*args)
                self.assertNotEqual(p.returncode, 0, f"{args}: {p.stdout!r} {p.stderr!r}")
                self.assertTrue(p.stderr.strip(), f"{args}: no message on stderr")


class CheckGood(CliBase):
    def assert_ok(self, text):
        path = self.write(text)
        p = cli("check", "--config", path)
        self.assertEqual(p.returncode, 0, f"{text}\n{p.stderr}")
        self.assertIn(f"{path}: ok", p.stdout.splitlines(), f"stdout: {p.stdout!r}")

    def test_full_config(self):
        self.assert_ok(good_config())

    def test_variants(self):
        log = os.path.join(self.tmp, "access.log")
        for kw in (dict(workers='"auto"'), dict(access="-"), dict(access="stdout"),
                   dict(access=log, fmt="json"), dict(request_head="10"),
                   dict(request_head='"500ms"'), dict(request_head='"2m"'),
                   dict(request_head='"1h"')):
            with self.subTest(**kw):
                self.assert_ok(good_config(**kw))

    def test_minimal_sections(self):
        # The spec gives every key a default except what a listener needs.
        self.assert_ok('[http]\nlisten = ["127.0.0.1:18080"]\nacme_webroot = "/tmp"\n')

    def test_check_does_not_listen(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        self.addCleanup(s.close)
        # The port is taken, yet check validates the file and says ok.
        self.assert_ok(good_config(port=port).replace(f', "[::1]:{port}"', ""))


class CheckErrors(CliBase):
    def test_unknown_top_level_key(self):
        text = good_config().replace("workers = 1\n", "workers = 1\nwrkers = 2\n")
        self.assert_check_error(text, 2, "wrkers")

    def test_unknown_key_in_section(self):
        text = good_config().replace("redirect_port = 443\n", "redirect_port = 443\nbogus = 1\n")
        line = text.splitlines().index("bogus = 1") + 1
        self.assert_check_error(text, line, "http.bogus")

    def test_unknown_table(self):
        text = good_config() + "\n[htttp]\nlisten = []\n"
        line = text.splitlines().index("[htttp]") + 1
        path = self.write(text)
        p = cli("check", "--config", path)
        self.assertEqual(p.returncode, 1, p.stderr)
        errors = self.error_lines(path, p.stderr)
        # Reported on the table header line or on its key's line.
        self.assertTrue(any(e[0] in (line, line + 1) and "htttp" in e[2] for e in errors),
                        f"{errors} {p.stderr!r}")

    def test_wrong_types(self):
        cases = [
            ("workers = 1\n", "workers = true\n", "workers"),
            ("header_count = 64\n", 'header_count = "64"\n', "limits.header_count"),
            ('keepalive = "75s"\n', "keepalive = true\n", "timeouts.keepalive"),
            ('acme_webroot = "/tmp"\n', "acme_webroot = 5\n", "http.acme_webroot"),
            ('redirect_port = 443\n', 'redirect_port = "443"\n', "http.redirect_port"),
            ('format = "combined"\n', "format = 1\n", "log.format"),
            ("connections_per_worker = 16384\n", "connections_per_worker = 1.5\n",
             "limits.connections_per_worker"),
        ]
        for old, new, key in cases:
            with self.subTest(key=key, value=new.strip()):
                text = good_config().replace(old, new)
                line = text.splitlines().index(new.strip()) + 1
                self.assert_check_error(text, line, key)

    def test_bad_values(self):
        cases = [
            ("workers = 1\n", 'workers = "two"\n', "workers"),
            ("workers = 1\n", "workers = -3\n", "workers"),
            ('redirect_port = 443\n', "redirect_port = 70000\n", "http.redirect_port"),
            ('redirect_port = 443\n', "redirect_port = 0\n", "http.redirect_port"),
            ('request_head = "10s"\n', 'request_head = "10 parsecs"\n', "timeouts.request_head"),
            ('request_head = "10s"\n', 'request_head = "-1s"\n', "timeouts.request_head"),
            ('request_head = "10s"\n', 'request_head = "10x"\n', "timeouts.request_head"),
            ('request_head = "10s"\n', 'request_head = "s"\n', "timeouts.request_head"),
            ('shutdown = "10s"\n', 'shutdown = ""\n', "timeouts.shutdown"),
            ('format = "combined"\n', 'format = "xml"\n', "log.format"),
            ('access = "off"\n', 'access = "relative/access.log"\n', "log.access"),
            ("connections_per_worker = 16384\n", "connections_per_worker = 0\n",
             "limits.connections_per_worker"),
            ("request_head_bytes = 16384\n", "request_head_bytes = -1\n",
             "limits.request_head_bytes"),
            ("header_count = 64\n", "header_count = 0\n", "limits.header_count"),
        ]
        for old, new, key in cases:
            with self.subTest(key=key, value=new.strip()):
                text = good_config().replace(old, new)
                line = text.splitlines().index(new.strip()) + 1
                self.assert_check_error(text, line, key)

    def test_bad_listen_addresses(self):
        for addr in ("localhost:80", "example.com:80", "127.0.0.1", "127.0.0.1:99999",
                     "127.0.0.1:", ":80", "::1:80", "1.2.3:80", "[::1]", "[::1:80",
                     "256.0.0.1:80", "127.0.0.1:-1", "127.0.0.1:80x"):
            with self.subTest(addr=addr):
                text = good_config().replace('listen = ["127.0.0.1:18080", "[::1]:18080"]',
                                             f'listen = ["127.0.0.1:18080", "{addr}"]')
                line = text.splitlines().index(f'listen = ["127.0.0.1:18080", "{addr}"]') + 1
                self.assert_check_error(text, line, "http.listen")

    def test_relative_webroot(self):
        for root in ("var/www", "./www", "", "www/"):
            with self.subTest(root=root):
                text = good_config(webroot=root)
                line = text.splitlines().index(f'acme_webroot = "{root}"') + 1
                self.assert_check_error(text, line, "http.acme_webroot")

    def test_two_errors_two_lines(self):
        text = good_config().replace("workers = 1\n", "workers = 1\nwrkers = 2\n")
        text = text.replace('format = "combined"', 'format = "xml"')
        line_b = text.splitlines().index('format = "xml"') + 1
        errors = self.assert_check_error(text, 2, "wrkers")
        self.assertTrue(any(e[0] == line_b and e[2].endswith("format") for e in errors),
                        f"only {errors}: one line per error expected")

    def test_syntax_errors(self):
        cases = [
            ("workers = 1\n[http\nlisten = []\n", 2),
            ("workers = \n", 1),
            ('workers = 1\n[http]\nacme_webroot = "/tmp\n', 3),
            ("workers = 1\nworkers = 2\n", 2),
            ('workers = 1\n\n[log]\naccess = "off"\n[log]\nformat = "json"\n', 5),
        ]
        for text, line in cases:
            with self.subTest(text=text):
                self.assert_syntax_error(text, line)

    def test_missing_file(self):
        path = os.path.join(self.tmp, "does-not-exist.toml")
        p = cli("check", "--config", path)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(path, p.stderr)
        rw = Ringway(self.tmp, args=["run", "--config", path])
        rw.start()
        rc = rw.wait(5)
        if rc is None:
            rw.stop(signal.SIGKILL, timeout=5)
            self.fail("run with a missing config kept running")
        rw.stop()
        self.assertNotEqual(rc, 0)
        self.assertIn(path, rw.stderr_text())

    def test_run_bad_config_does_not_listen(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        text = good_config(port=port).replace("workers = 1\n", "workers = 1\nwrkers = 2\n")
        path = self.write(text)
        rw = Ringway(self.tmp, args=["run", "--config", path])
        rw.start()
        rc = rw.wait(5)
        if rc is None:
            rw.stop(signal.SIGKILL, timeout=5)
            self.fail("run with a bad config kept running")
        rw.stop()
        self.assertNotEqual(rc, 0)
        c = socket.socket()
        self.addCleanup(c.close)
        c.settimeout(1)
        with self.assertRaises(OSError):
            c.connect(("127.0.0.1", port))


class CheckFallbackCa(CliBase):
    """check loads an https fallback's CA bundle as run would, and names the key when it
    cannot."""

    def config(self, ca):
        ca_line = "" if ca is None else f'fallback_ca = "{ca}"\n'
        return (good_config() + '\n[https]\nlisten = ["127.0.0.1:18443"]\n'
                '[[site]]\nhosts = ["a.test"]\ncertificate = "/etc/letsencrypt/live/a.test"\n'
                'upstream = "http://127.0.0.1:8080"\nfallback = "https://b.test"\n' + ca_line)

    def test_missing_ca_file_is_an_error(self):
        path = self.write(self.config(os.path.join(self.tmp, "no-such-ca.pem")))
        p = cli("check", "--config", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"{path}: site[0].fallback_ca: ", p.stderr)
        self.assertNotIn(f"{path}: ok", p.stdout)

    def test_not_a_pem_bundle_is_an_error(self):
        bad = self.write("this is not PEM\n", name="bad-ca.pem")
        path = self.write(self.config(bad))
        p = cli("check", "--config", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"{path}: site[0].fallback_ca: ", p.stderr)

    def test_system_bundle_passes(self):
        if not os.path.exists("/etc/ssl/certs/ca-certificates.crt"):
            self.fail("the system CA bundle is missing: .ci/install-deps installs ca-certificates")
        path = self.write(self.config(None))
        p = cli("check", "--config", path)
        self.assertIn(f"{path}: ok", p.stdout, p.stderr)


class Demo(CliBase):
    def test_run_without_config_starts_and_stops(self):
        rw = Ringway(self.tmp, args=["run"])
        rw.start()
        self.addCleanup(rw.stop, signal.SIGKILL, 5)
        # Up and still running a moment later (bounded), then a clean stop.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and rw.alive():
            time.sleep(0.05)
        self.assertTrue(rw.alive(), f"demo run exited: {rw.diagnostics()}")
        rc, killed = rw.stop(signal.SIGTERM, timeout=12)
        self.assertFalse(killed, "demo run did not stop on SIGTERM")
        self.assertEqual(rc, 0, rw.diagnostics())


if __name__ == "__main__":
    unittest.main(verbosity=2)

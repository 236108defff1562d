#!/usr/bin/env python3
"""The preflight from the command line: `ringway check` (table and JSON, exit codes) and
`ringway run` (one warning line per failing check, or refusing to start with exit 3 when an
enforced check fails). These run on the machine's own kernel settings; where a test needs a
particular verdict it first asks `ringway check --format json` what this machine says."""

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ringway_process import BINARY, Ringway, free_port, require_binary  # noqa: E402

SYSCTL_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "sysctl"))
REFUSED = 3  # ringway's exit status when an enforced check fails


def cli(*args, timeout=20):
    require_binary()
    return subprocess.run([BINARY, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def config_text(port, webroot, preflight="", checks=None, extra=""):
    text = (f'workers = 1\n\n[http]\nlisten = ["127.0.0.1:{port}"]\n'
            f'acme_webroot = "{webroot}"\n\n[log]\naccess = "off"\n\n'
            f'[preflight]\nsysctl_dir = "{SYSCTL_DIR}"\n{preflight}\n')
    if checks:
        text += "[preflight.checks]\n" + "".join(f'{k} = "{v}"\n' for k, v in checks.items())
    return text + extra


def kernel_has_fq():
    """True/False from the running kernel's config, None when it cannot be read."""
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            text = f.read()
    except OSError:
        return None
    return re.search(r"(?m)^CONFIG_NET_SCH_FQ=[ym]$", text) is not None


class PreflightCase(unittest.TestCase):
    def setUp(self):
        require_binary(self)
        self.tmp = tempfile.mkdtemp(prefix="ringway-preflight-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.count = 0

    def write(self, text):
        self.count += 1
        path = os.path.join(self.tmp, f"c{self.count}.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def check_json(self, path):
        p = cli("check", "--config", path, "--format", "json")
        self.assertIn(p.returncode, (0, REFUSED), p.stderr)
        try:
            report = json.loads(p.stdout)
        except ValueError as e:
            self.fail(f"check --format json is not JSON ({e}): {p.stdout!r}")
        self.assertEqual(report["refuses"], p.returncode == REFUSED, p.stdout)
        return report, p

    def failing_checks(self, report):
        return sorted({row["check"] for row in report["checks"]
                       if row["verdict"] in ("differs", "unavailable")})


class CheckOutput(PreflightCase):
    def test_table(self):
        path = self.write(config_text(18080, "/tmp"))
        p = cli("check", "--config", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], f"{path}: ok")
        self.assertRegex(lines[1], r"^CHECK\s+POLICY\s+VERDICT\s+SUBJECT\s+DETAIL$")
        self.assertRegex(lines[-1], r"^preflight: \d+ ok, \d+ warnings, 0 enforced failures, "
                                    r"\d+ not applicable: ringway run would start$")
        rows = [ln for ln in lines[2:-1] if not ln.startswith(" ")]
        subjects = {ln.split()[3] for ln in rows}
        for subject in ("net.core.default_qdisc", "net.ipv4.tcp_congestion_control",
                        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl",
                        "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_available_congestion_control",
                        "kernel.io_uring_disabled", "RLIMIT_NOFILE", "net.core.somaxconn",
                        "AES-NI"):
            self.assertIn(subject, subjects, p.stdout)
        # A failing row is followed by its fix, indented to the DETAIL column.
        for index, line in enumerate(lines[2:-1], start=2):
            if line.split()[2:3] in (["differs"], ["unavailable"]) and not line.startswith(" "):
                if "fix:" in lines[index + 1]:
                    self.assertEqual(lines[index + 1].index("fix:"), lines[1].index("DETAIL"))

    def test_json(self):
        path = self.write(config_text(18080, "/tmp"))
        report, p = self.check_json(path)
        self.assertEqual(report["config"], path)
        self.assertTrue(report["config_ok"])
        verdicts = {"ok", "differs", "unavailable", "n/a"}
        for row in report["checks"]:
            self.assertEqual(set(row), {"check", "subject", "verdict", "policy", "refuses",
                                        "expected", "actual", "reason", "fix"})
            self.assertIn(row["verdict"], verdicts)
            self.assertEqual(row["policy"], "warn")
            self.assertFalse(row["refuses"])
        files = [row for row in report["checks"] if row["check"] == "sysctl_files"]
        self.assertEqual([row["subject"] for row in files], ["01-bbr.conf", "02-keepalive.conf"])
        for row in files:
            self.assertEqual(row["verdict"], "ok", row)
            self.assertEqual(row["actual"], os.path.join(SYSCTL_DIR, row["subject"]))
        # Expectations come from the files: every setting in them has a row.
        for name in ("01-bbr.conf", "02-keepalive.conf"):
            with open(os.path.join(SYSCTL_DIR, name)) as f:
                for line in f:
                    if line.strip() and not line.startswith("#"):
                        key, _, value = (part.strip() for part in line.partition("="))
                        row = [r for r in report["checks"] if r["subject"] == key]
                        self.assertEqual(len(row), 1, key)
                        self.assertEqual(row[0]["expected"], value)
                        if row[0]["verdict"] == "differs":
                            self.assertEqual(row[0]["fix"],
                                             f"sysctl -p {os.path.join(SYSCTL_DIR, name)}")
        aesni = [row for row in report["checks"] if row["check"] == "aesni"]
        self.assertEqual(len(aesni), 1)
        self.assertEqual(aesni[0]["verdict"], "n/a")
        self.assertEqual(aesni[0]["reason"], "no TLS listeners")

    def test_json_for_a_bad_config(self):
        path = self.write(config_text(18080, "/tmp", preflight='policy = "sometimes"'))
        p = cli("check", "--config", path, "--format", "json")
        self.assertEqual(p.returncode, 1, p.stdout)
        report = json.loads(p.stdout)
        self.assertFalse(report["config_ok"])
        self.assertEqual(len(report["errors"]), 1)
        self.assertRegex(report["errors"][0],
                         re.escape(path) + r":\d+:\d+: preflight\.policy: must be")
        self.assertIn(report["errors"][0], p.stderr.splitlines())

    def test_bad_format_and_keys(self):
        path = self.write(config_text(18080, "/tmp"))
        for args in (["--format", "xml"], ["--format"]):
            p = cli("check", "--config", path, *args)
            self.assertEqual(p.returncode, 2, p.stdout)
            self.assertIn("usage", p.stderr)
        p = cli("run", "--config", path, "--format", "json")
        self.assertEqual(p.returncode, 2)
        text = config_text(18080, "/tmp", checks={"qdisc": "enforce"})
        path = self.write(text)
        p = cli("check", "--config", path)
        line = text.splitlines().index('qdisc = "enforce"') + 1
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"{path}:{line}:1: preflight.checks.qdisc: unknown check", p.stderr)


class FqOnThisKernel(PreflightCase):
    def test_fq_is_unavailable_with_the_reason(self):
        if kernel_has_fq() is not False:
            self.skipTest("this kernel has fq, or its config cannot be read: "
                          "the test is about a kernel built without CONFIG_NET_SCH_FQ")
        path = self.write(config_text(18080, "/tmp"))
        report, p = self.check_json(path)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [row for row in report["checks"] if row["subject"] == "net.core.default_qdisc"]
        self.assertEqual(len(rows), 1, report)
        row = rows[0]
        self.assertEqual(row["verdict"], "unavailable", row)
        self.assertEqual(row["expected"], "fq")
        self.assertIn("the kernel has no fq: CONFIG_NET_SCH_FQ is not set (/proc/config.gz)",
                      row["reason"])
        self.assertEqual(row["fix"], "a kernel with CONFIG_NET_SCH_FQ=y or =m")
        # Listening on a wildcard looks at every interface that is up; none can have fq.
        path = self.write(config_text(18080, "/tmp").replace("127.0.0.1:18080", "0.0.0.0:18080"))
        report, _ = self.check_json(path)
        qdiscs = [row for row in report["checks"] if row["subject"].startswith("qdisc on ")]
        self.assertIn("qdisc on lo", [row["subject"] for row in qdiscs])
        for row in qdiscs:
            if row["subject"] == "qdisc on lo":
                self.assertEqual(row["verdict"], "ok", row)
            else:
                self.assertEqual(row["verdict"], "unavailable", row)
                self.assertIn("CONFIG_NET_SCH_FQ is not set", row["reason"])

    def test_enforcing_fq_refuses_to_start(self):
        if kernel_has_fq() is not False:
            self.skipTest("this kernel has fq, or its config cannot be read")
        port = free_port()
        path = self.write(config_text(port, "/tmp", checks={"fq": "enforce"}))
        p = cli("check", "--config", path)
        self.assertEqual(p.returncode, REFUSED, p.stdout + p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], f"{path}: ok")
        self.assertRegex(p.stdout.splitlines()[-1], r"ringway run would refuse to start \(exit 3\)")
        self.assertRegex(p.stdout, r"(?m)^fq\s+enforce\s+unavailable\s+net\.core\.default_qdisc")

        rw = Ringway(self.tmp, args=["run", "--config", path])
        rw.start()
        rc = rw.wait(10)
        if rc is None:
            rw.stop(signal.SIGKILL, timeout=5)
            self.fail("run with an enforced failing check kept running")
        rw.stop()
        self.assertEqual(rc, REFUSED, rw.stderr_text())
        err = rw.stderr_text().splitlines()
        enforced = [ln for ln in err if ln.endswith("[enforced]")]
        self.assertTrue(enforced, err)
        for ln in enforced:
            self.assertRegex(ln, r" error: preflight: fq: .*: unavailable: ")
        self.assertRegex(err[-1], r"error: preflight: refusing to start")
        self.assertFalse(any("listening on" in ln for ln in err), err)
        c = socket.socket()
        self.addCleanup(c.close)
        c.settimeout(1)
        with self.assertRaises(OSError):
            c.connect(("127.0.0.1", port))


class RunPolicy(PreflightCase):
    def start(self, path, port):
        rw = Ringway(self.tmp, args=["run", "--config", path], listen=[f"127.0.0.1:{port}"])
        rw.start()
        self.addCleanup(rw.stop, signal.SIGKILL, 5)
        rw.wait_ready()
        return rw

    def test_warn_logs_one_line_per_failing_check_and_serves(self):
        port = free_port()
        path = self.write(config_text(port, "/tmp"))
        report, _ = self.check_json(path)
        failing = [row for row in report["checks"] if row["verdict"] in ("differs", "unavailable")]
        rw = self.start(path, port)
        rc, killed = rw.stop(signal.SIGTERM, timeout=12)
        self.assertFalse(killed)
        self.assertEqual(rc, 0, rw.stderr_text())
        lines = [ln for ln in rw.stderr_text().splitlines() if " preflight: " in ln]
        self.assertEqual(len(lines), len(failing), "\n".join(lines))
        for line, row in zip(lines, failing):
            self.assertIn(f" warning: preflight: {row['check']}: {row['subject']}: "
                          f"{row['verdict']}: ", line)
            if row["fix"]:
                self.assertTrue(line.endswith(f"; fix: {row['fix']}"), line)

    def test_enforce_starts_when_the_failing_checks_are_relaxed(self):
        # Enforce everything, ask which checks fail on this machine, relax exactly those:
        # run must start, and check must say so with exit 0.
        port = free_port()
        path = self.write(config_text(port, "/tmp", preflight='policy = "enforce"'))
        report, p = self.check_json(path)
        failing = self.failing_checks(report)
        if not failing:
            self.assertEqual(p.returncode, 0)
        else:
            self.assertEqual(p.returncode, REFUSED)
            self.assertTrue(all(row["refuses"] for row in report["checks"]
                                if row["check"] in failing
                                and row["verdict"] in ("differs", "unavailable")))
        relaxed = {check: ("off" if index % 2 else "warn") for index, check in enumerate(failing)}
        path = self.write(config_text(port, "/tmp", preflight='policy = "enforce"',
                                      checks=relaxed))
        report, p = self.check_json(path)
        self.assertEqual(p.returncode, 0, p.stdout)
        shown = {row["check"] for row in report["checks"]}
        for check, policy in relaxed.items():
            self.assertEqual(check in shown, policy != "off", check)
        rw = self.start(path, port)
        self.assertTrue(rw.alive())


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""Memory stays bounded while a 100 MB response streams through ringway over TLS.

Its own file and meson suite ('memory'): the bound means something only for a release
build. Under ASan every freed block waits in a quarantine (and wolfSSL allocates an output
buffer per large record), so RSS grows by design there; .ci/run runs the sanitizer pass
without this suite and the release pass with it."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_proxy import BIG, MB, RSS_GROWTH_MAX_KB, ProxyBase, rss_kb  # noqa: E402


class StreamingMemory(ProxyBase):

    def test_100m_download_rss_stays_flat(self):  # (A)
        r = self.get("a.test", "/5m")  # warms up the buffers a download uses
        self.assertEqual(len(r.body), 5 * MB)
        pid = self.rw.pid
        base = peak = rss_kb(pid)
        cmd = ["curl", "-q", "--noproxy", "*", "-sS", "--cacert", self.cafile["a.test"],
               "--resolve", f"a.test:{self.port}:127.0.0.1", "--limit-rate", "40M",
               "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
               f"https://a.test:{self.port}/big"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 70
            while proc.poll() is None and time.monotonic() < deadline:
                peak = max(peak, rss_kb(pid))
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, f"curl: {err} {self.diag()}")
        self.assertEqual(out, f"200 {BIG}")
        self.assertLess(peak - base, RSS_GROWTH_MAX_KB,
                        f"ringway's RSS grew from {base} kB to {peak} kB during a "
                        f"{BIG // MB} MB download")


if __name__ == "__main__":
    unittest.main(verbosity=2)

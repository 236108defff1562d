#!/usr/bin/env python3
"""Key exchange groups: ringway offers X25519 and P-256 only, in TLS 1.3 and in TLS 1.2.

(X25519/P-256 accepted and the TLS 1.3 refusal are in test_tls_handshake.py; this file holds
the TLS 1.2 refusal, which fails while the group list only reaches TLS 1.3's key shares.)"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_tls_handshake import TlsSites, established, output  # noqa: E402
from ringway_process import s_client  # noqa: E402


class TlsGroups(TlsSites):

    def test_tls12_ecdhe_over_other_groups_refused(self):
        for groups in ("P-384", "P-521", "P-384:P-521", "ffdhe2048"):
            with self.subTest(groups=groups):
                p = s_client(self.port, "b.test", ["-tls1_2", "-groups", groups])
                self.assertIsNone(established(p), f"TLS 1.2 handshake with only {groups} "
                                                  f"offered succeeded: {output(p)[-2500:]}")

    def test_tls13_other_groups_refused(self):
        for groups in ("P-384", "P-521", "P-384:P-521", "ffdhe2048"):
            with self.subTest(groups=groups):
                p = s_client(self.port, "a.test", ["-tls1_3", "-groups", groups])
                self.assertIsNone(established(p), f"TLS 1.3 handshake with only {groups} "
                                                  f"offered succeeded: {output(p)[-2500:]}")


if __name__ == "__main__":
    unittest.main(verbosity=2)

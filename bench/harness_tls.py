"""TLS for bench/harness.py: one ECDSA P-256 certificate for every server, the TLS policy they all
get (ringway's), and the check by hand of an HTTPS answer."""

import socket
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness_processes import LISTEN_ADDRESS, REQUEST_HOST, HarnessError

TLS_PATH = "/"
TLS_BODY = b"ok\n"
# The same policy as ringway's (src/tls/server_context.cc), in OpenSSL's words.
TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
TLS_GROUPS = "X25519:P-256"


@dataclass
class TlsFiles:
    """One ECDSA P-256 certificate for every server, laid out the way certbot leaves it."""
    live_directory: Path  # live/localhost: fullchain.pem and privkey.pem (ringway)
    fullchain: Path  # leaf, then its issuer (nginx)
    privkey: Path
    combined: Path  # key and chain in one file (HAProxy)
    ca: Path  # what the harness's own checks verify against


def make_certificate(directory):
    """A P-256 CA and a P-256 leaf for localhost it signs, in certbot's live/<name> layout."""
    live = directory / "live" / REQUEST_HOST
    live.mkdir(parents=True)
    ca_key, ca = directory / "ca-key.pem", directory / "ca.pem"
    leaf_request, leaf = directory / "leaf.csr", directory / "leaf.pem"
    extensions = directory / "leaf.ext"
    extensions.write_text(f"subjectAltName=DNS:{REQUEST_HOST},IP:{LISTEN_ADDRESS}\n"
                          "basicConstraints=critical,CA:FALSE\n"
                          "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    commands = [
        ["openssl", "req", "-x509", *new_key, "-keyout", ca_key, "-out", ca, "-days", "7",
         "-subj", "/CN=ringway bench CA"],
        ["openssl", "req", *new_key, "-keyout", live / "privkey.pem", "-out", leaf_request,
         "-subj", f"/CN={REQUEST_HOST}"],
        ["openssl", "x509", "-req", "-in", leaf_request, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "7", "-extfile", extensions, "-out", leaf],
    ]
    for command in commands:
        try:
            result = subprocess.run([str(part) for part in command], capture_output=True,
                                    text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HarnessError(f"openssl could not make the certificate: {error}") from error
        if result.returncode != 0:
            raise HarnessError(f"openssl failed: {' '.join(map(str, command))}\n{result.stderr}")
    fullchain = live / "fullchain.pem"
    fullchain.write_text(leaf.read_text() + ca.read_text())
    combined = directory / "haproxy.pem"
    combined.write_text((live / "privkey.pem").read_text() + fullchain.read_text())
    return TlsFiles(live, fullchain, live / "privkey.pem", combined, ca)



def tls_exchange(context, port, session=None, path=TLS_PATH):
    """One HTTPS request with Connection: close, read to the end; the TLS socket's facts."""
    with socket.create_connection((LISTEN_ADDRESS, port), timeout=5) as plain:
        with context.wrap_socket(plain, server_hostname=REQUEST_HOST, session=session) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {REQUEST_HOST}\r\n"
                        "Connection: close\r\n\r\n".encode())
            response = b""
            while chunk := tls.recv(65536):
                response += chunk
            return {"response": response, "version": tls.version(), "cipher": tls.cipher()[0],
                    "alpn": tls.selected_alpn_protocol(), "session": tls.session,
                    "reused": tls.session_reused}


def check_tls_response(server, tls, path=TLS_PATH, expected_body=TLS_BODY):
    """Before any load: the certificate (verified for localhost against the harness's CA),
    TLS 1.3 with ALPN http/1.1, a 200 with the expected body; then whether the server resumes a
    session offered back to it (with cache and tickets off it should not; ringway always issues
    tickets). The load clients never offer one."""
    context = ssl.create_default_context(cafile=str(tls.ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["http/1.1"])
    name = server.spec.name
    try:
        first = tls_exchange(context, server.spec.tls_port, path=path)
        head, _, body = first["response"].partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 ") or body != expected_body:
            raise HarnessError(f"{name}: expected 200 with {len(expected_body)} bytes "
                               f"({expected_body[:20]!r}...) over HTTPS for {path}, got "
                               f"{first['response'][:200]!r}")
        second = tls_exchange(context, server.spec.tls_port, first["session"], path)
    except (OSError, ssl.SSLError) as error:
        raise HarnessError(f"{name}: HTTPS request failed: {error}") from error
    if first["version"] != "TLSv1.3" or first["alpn"] != "http/1.1":
        raise HarnessError(f"{name}: expected TLSv1.3 with ALPN http/1.1, got "
                           f"{first['version']} with {first['alpn']}")
    return {"version": first["version"], "cipher_openssl_client": first["cipher"],
            "alpn": first["alpn"], "resumes_offered_session": second["reused"]}

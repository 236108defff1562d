"""The proxy scenarios' servers: one backend nginx with fixed-size files, and ringway, nginx and
HAProxy each proxying to it over plain HTTP with pooled keepalive upstream connections, from a
plain HTTP port and an HTTPS port. See bench/README.md, "The proxy scenarios"."""

import os

from harness_configs import (haproxy_defaults, haproxy_log_global, haproxy_tls_bind,
                             haproxy_tls_global, nginx_config_text, nginx_tls_directives,
                             ringway_config_text)
from harness_processes import LISTEN_ADDRESS

PLAIN_PATH = "/proxy-100b"
TLS_1K_PATH = "/proxy-1k"
TLS_16K_PATH = "/proxy-16k"
DOWNLOAD_PATH = "/proxy-100m"
DOWNLOAD_BYTES = 100 * 2**20
SMALL_FILES = {PLAIN_PATH: 100, TLS_1K_PATH: 1024, TLS_16K_PATH: 16 * 1024}
STATUS_PATH = "/backend-status"
UPSTREAM_IDLE_SECONDS = 300  # every proxy keeps idle upstream connections this long


def file_body(path, size):
    """Bytes that name their file, so a response from the wrong path shows in the check."""
    pattern = f"{path} ".encode()
    return (pattern * (size // len(pattern) + 1))[:size - 1] + b"\n"


def write_backend_files(root):
    """The backend's document root: the small files with their bodies, the download sparse."""
    for path, size in SMALL_FILES.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file_body(path, size))
    with open(root / DOWNLOAD_PATH.lstrip("/"), "wb") as download:
        os.ftruncate(download.fileno(), DOWNLOAD_BYTES)


def backend_config(directory, port, root):
    """nginx serving `root` (open files cached, so a request costs no open) and its counters of
    accepted connections and requests at STATUS_PATH."""
    server = f"""    server {{
        listen {LISTEN_ADDRESS}:{port} backlog=4096;
        root {root};
        location = {STATUS_PATH} {{ stub_status; }}
    }}
"""
    http = """    default_type application/octet-stream;
    open_file_cache max=16 inactive=1h;
"""
    return nginx_config_text(directory, "backend", server, http=http)


def nginx_proxy_config(directory, port, tls_port, tls, backend_port, access_log=None):
    """nginx as the issue asks (HTTP/1.1 upstream keepalive, `Connection ""`), adding the
    X-Forwarded-* headers and passing the client's Host as ringway does. No temp files:
    ringway holds no more than a small window of a large response either, so nginx buffers
    in memory and slows the upstream read when the client is slow."""
    http = f"""    upstream backend {{
        server {LISTEN_ADDRESS}:{backend_port};
        keepalive 256;
        keepalive_requests 1000000000;
        keepalive_timeout {UPSTREAM_IDLE_SECONDS}s;
    }}
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    proxy_max_temp_file_size 0;
"""
    servers = f"""    server {{
        listen {LISTEN_ADDRESS}:{port} reuseport;
        location / {{ proxy_pass http://backend; }}
    }}
    server {{
        listen {LISTEN_ADDRESS}:{tls_port} ssl reuseport;
{nginx_tls_directives(tls)}        location / {{ proxy_pass http://backend; }}
    }}
"""
    return nginx_config_text(directory, "nginx", servers, http=http, access_log=access_log)


def haproxy_proxy_config(port, tls_port, tls, backend_port, access_log=None):
    """HAProxy with `http-reuse always` and idle server connections kept as long as the others
    keep theirs (its default purges them every 5 s), the same X-Forwarded-* headers."""
    return f"""global
    nbthread 1
    maxconn 4096
{haproxy_log_global(access_log)}{haproxy_tls_global()}
{haproxy_defaults(4096, access_log)}
frontend plain
    bind {LISTEN_ADDRESS}:{port}
    default_backend backend

frontend tls
    {haproxy_tls_bind(tls, tls_port)}
    default_backend backend

backend backend
    http-reuse always
    option forwardfor
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request set-header X-Forwarded-Proto http unless {{ ssl_fc }}
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    server backend {LISTEN_ADDRESS}:{backend_port} pool-purge-delay {UPSTREAM_IDLE_SECONDS}s
"""


def ringway_proxy_config(port, tls_port, tls, backend_port, acme_webroot, access_log=None):
    """ringway's site proxying everything to the backend, from HTTPS and (http = "proxy") from
    its plain port."""
    (acme_webroot / ".well-known" / "acme-challenge").mkdir(parents=True, exist_ok=True)
    backend = f"http://{LISTEN_ADDRESS}:{backend_port}"
    return ringway_config_text(
        port, acme_webroot, tls, tls_port,
        site=f'upstream = "{backend}"\nhttp = "proxy"\n',
        tail=f'[timeouts]\nupstream_idle = "{UPSTREAM_IDLE_SECONDS}s"\n',
        access_log=access_log)

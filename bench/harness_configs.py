"""Configuration that several scenarios of bench/harness.py give ringway, nginx and HAProxy: the
common skeleton (one worker or thread, no access log unless asked, long keepalive), ringway's TLS
policy in nginx's and HAProxy's words, and the command that runs a server on its configuration."""

from harness_processes import LISTEN_ADDRESS, REQUEST_HOST
from harness_tls import TLS12_CIPHERS, TLS13_SUITES, TLS_GROUPS

# The second ringway binary of an A/B run (--ringway-baseline): the landed one, "ringway" being
# the new one. It gets the same configuration as ringway in every scenario.
RINGWAY_BASELINE = "ringway-base"
RINGWAY_NAMES = ("ringway", RINGWAY_BASELINE)
CONFIG_FILE_EXTENSIONS = {"nginx": "conf", "haproxy": "cfg", "ringway": "toml"}


def server_kind(name):
    """What configures a server named `name`: both ringway binaries are ringway."""
    return "ringway" if name in RINGWAY_NAMES else name


def server_command(kind, directory, config_text, ringway=None, name=None):
    """Writes the configuration of a server of `kind` (nginx, haproxy, ringway) into directory
    (nginx's prefix too) as `<name or kind>.<extension>`; the command that runs it in the
    foreground, `ringway` being the binary for kind ringway."""
    path = directory / f"{name or kind}.{CONFIG_FILE_EXTENSIONS[kind]}"
    path.write_text(config_text)
    if kind == "nginx":
        return ["nginx", "-e", "stderr", "-p", str(directory), "-c", str(path)]
    if kind == "haproxy":
        return ["haproxy", "-db", "-f", str(path)]
    return [str(ringway), "run", "--config", str(path)]


def ringway_config_text(port, acme_webroot, tls=None, tls_port=0, http="", site="", tail="",
                        https="", access_log=None):
    """ringway with one worker, its plain port redirecting, access log off or (`access_log`, a
    path) combined lines to that file; with `tls`, an HTTPS port and one site for localhost
    whose settings are `site`. `http` goes into [http], `https` into [https], `tail` (whole
    tables) before [log]."""
    https = "" if tls is None else f"""[https]
listen = ["{LISTEN_ADDRESS}:{tls_port}"]
{https}[[site]]
hosts = ["{REQUEST_HOST}"]
certificate = "{tls.live_directory}"
{site}"""
    return f"""workers = 1
[http]
listen = ["{LISTEN_ADDRESS}:{port}"]
acme_webroot = "{acme_webroot}"
{http}redirect_port = 443
{https}{tail}[log]
access = "{access_log or 'off'}"
format = "combined"
"""


def nginx_config_text(directory, name, servers, worker_connections=4096, head="", http="",
                      access_log=None):
    """A whole nginx configuration: one worker, keepalive that outlasts any run, its pid file
    and temp paths named after `name` in `directory`; no access log, or (`access_log`, a path)
    the combined format written unbuffered to it, nginx's default; `http` and then `servers`
    go into the http block."""
    return f"""daemon off;
master_process on;
worker_processes 1;
{head}pid {directory}/{name}.pid;
error_log stderr warn;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log {f"{access_log} combined" if access_log else "off"};
    server_tokens off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_body_temp_path {directory}/{name}-client-body;
    proxy_temp_path {directory}/{name}-proxy;
    fastcgi_temp_path {directory}/{name}-fastcgi;
    uwsgi_temp_path {directory}/{name}-uwsgi;
    scgi_temp_path {directory}/{name}-scgi;
{http}{servers}}}
"""


def haproxy_log_global(access_log):
    """HAProxy's `global` log line: with --access-log, each line goes raw to its standard output,
    which the harness opens on the access log file (one write per line, as syslog would take one
    datagram; a regular file never blocks, so none is dropped)."""
    return "    log stdout format raw local0 info\n" if access_log else ""


def haproxy_defaults(maxconn, access_log=None):
    """HAProxy's defaults section: HTTP mode, keepalive, timeouts that outlast any run; with
    `access_log`, `option httplog` (one line per request, to the global log)."""
    logging = "    log global\n    option httplog\n" if access_log else ""
    return f"""defaults
    mode http
    maxconn {maxconn}
{logging}    option http-keep-alive
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    timeout http-request 300s
"""


def nginx_tls_directives(tls, indent="        "):
    """The TLS lines of an nginx `server` block: ringway's policy, no session cache and no
    tickets (every handshake a client starts is a full one)."""
    lines = [f"ssl_certificate {tls.fullchain};", f"ssl_certificate_key {tls.privkey};",
             "ssl_protocols TLSv1.2 TLSv1.3;", f"ssl_ciphers {TLS12_CIPHERS};",
             f"ssl_conf_command Ciphersuites {TLS13_SUITES};", "ssl_prefer_server_ciphers on;",
             f"ssl_ecdh_curve {TLS_GROUPS.replace('P-256', 'prime256v1')};",
             "ssl_session_cache off;", "ssl_session_tickets off;"]
    return "".join(f"{indent}{line}\n" for line in lines)


def haproxy_tls_global():
    """HAProxy's `global` lines for ringway's policy, no session cache and no tickets."""
    return f"""    tune.ssl.cachesize 0
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers {TLS12_CIPHERS}
    ssl-default-bind-ciphersuites {TLS13_SUITES}
    ssl-default-bind-curves {TLS_GROUPS}
"""


def haproxy_tls_bind(tls, port):
    return f"bind {LISTEN_ADDRESS}:{port} ssl crt {tls.combined} alpn http/1.1 no-tls-tickets"

"""The servers of bench/harness.py's redirect and TLS scenarios: ringway (either binary), nginx,
HAProxy and the floor responder, each with its configuration written into the temporary
directory, and the check by hand of the redirect."""

import http.client

from harness_access_log import access_log_path
from harness_configs import (haproxy_defaults, haproxy_log_global, haproxy_tls_bind,
                             haproxy_tls_global, nginx_config_text, nginx_tls_directives,
                             ringway_config_text, server_command, server_kind)
from harness_processes import (LISTEN_ADDRESS, REQUEST_HOST, SERVER_CPU, HarnessError,
                               ServerSpec, open_file_limit)

REQUEST_PATH = "/some/path"
EXPECTED_LOCATION = f"https://{REQUEST_HOST}{REQUEST_PATH}"
RINGWAY_DEFAULT_CONNECTIONS = 16384


def nginx_config(directory, port, tls=None, tls_port=0, max_connections=0, access_log=None):
    worker_connections = 4096
    head = ""
    tls_server = ""
    if tls is not None:
        worker_connections = max_connections
        head = f"worker_rlimit_nofile {min(2 * max_connections, open_file_limit())};\n"
        # Session cache and tickets off: every handshake the client starts is a full one.
        tls_server = f"""    server {{
        listen {LISTEN_ADDRESS}:{tls_port} ssl reuseport;
{nginx_tls_directives(tls)}        default_type text/plain;
        return 200 "ok\\n";
    }}
"""
    server = f"""    server {{
        listen {LISTEN_ADDRESS}:{port} reuseport;
        return 301 https://$host$request_uri;
    }}
"""
    return nginx_config_text(directory, "nginx", server + tls_server, worker_connections, head,
                             access_log=access_log)


def haproxy_config(port, tls=None, tls_port=0, max_connections=0, access_log=None):
    maxconn = max_connections if tls is not None else 4096
    tls_global = ""
    tls_frontend = ""
    if tls is not None:
        # HAProxy counts two files per connection (a client and a server side) and by default
        # refuses to start when it cannot have them all; with no backends one is enough, so
        # below that limit (no CAP_SYS_RESOURCE to raise it) it is told to start anyway.
        files = min(2 * maxconn + 100, open_file_limit())
        relaxed = "    no strict-limits\n" if files < 2 * maxconn + 100 else ""
        # No session cache and no tickets: every handshake the client starts is a full one.
        tls_global = f"{relaxed}    ulimit-n {files}\n{haproxy_tls_global()}"
        tls_frontend = f"""
frontend tls
    {haproxy_tls_bind(tls, tls_port)}
    http-request return status 200 content-type text/plain string "ok\\n"
"""
    return f"""global
    nbthread 1
    maxconn {maxconn}
{haproxy_log_global(access_log)}{tls_global}
{haproxy_defaults(maxconn, access_log)}
frontend redirect
    bind {LISTEN_ADDRESS}:{port}
    http-request redirect scheme https code 301
{tls_frontend}"""


def ringway_config(port, acme_webroot, tls=None, tls_port=0, max_connections=0,
                   access_log=None):
    # Session tickets off, as nginx's and HAProxy's here (the handshake test).
    limits = (f"[limits]\nconnections_per_worker = {max_connections}\n"
              if tls is not None and max_connections > RINGWAY_DEFAULT_CONNECTIONS else "")
    return ringway_config_text(port, acme_webroot, tls, tls_port, site="status = 200\n",
                               tail=limits, https="session_tickets = false\n",
                               access_log=access_log)


def server_spec(name, port, directory, options, tls=None, tls_port=0):
    """The command line for one server, with its config written into the temp directory.

    With `tls`, nginx, HAProxy and ringway also listen for HTTPS on tls_port and answer every
    request there with 200 "ok\\n"; the plain port keeps the redirect. With
    options.log_requests, each writes a line per request to its access log."""
    log_path = directory / f"{name}.log"
    max_connections = options.idle_connections + 1024
    acme_webroot = directory / "acme-webroot"
    kind = server_kind(name)
    access_log = access_log_path(directory, name) if options.log_requests else None
    configs = {
        "nginx": lambda: nginx_config(directory, port, tls, tls_port, max_connections,
                                      access_log),
        "haproxy": lambda: haproxy_config(port, tls, tls_port, max_connections, access_log),
        "ringway": lambda: ringway_config(port, acme_webroot, tls, tls_port, max_connections,
                                          access_log),
    }
    if kind in configs:
        acme_webroot.mkdir(exist_ok=True)
        command = server_command(kind, directory, configs[kind](),
                                 options.ringway_binaries.get(name), name)
        return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command], log_path,
                          tls_port, access_log, access_log_on_stdout=kind == "haproxy")
    command = [str(options.floor), "--address", LISTEN_ADDRESS, "--port", str(port),
               "--location-bytes", str(len(EXPECTED_LOCATION))]
    if name == "floor-simple":
        command.append("--simple")
    return ServerSpec(name, port, ["taskset", "-c", SERVER_CPU, *command], log_path, tls_port)


def check_response(server):
    """One request before any load: the server must answer the scenario with its 301."""
    connection = http.client.HTTPConnection(LISTEN_ADDRESS, server.spec.port, timeout=5)
    try:
        connection.request("GET", REQUEST_PATH, headers={"Host": REQUEST_HOST})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        raise HarnessError(f"{server.spec.name}: request failed: {error}") from error
    finally:
        connection.close()
    location = response.getheader("Location", "")
    # The floor only matches the size of the Location, not its text.
    location_ok = (len(location) == len(EXPECTED_LOCATION) if server.spec.name.startswith("floor")
                   else location == EXPECTED_LOCATION)
    if response.status != 301 or not location_ok:
        raise HarnessError(f"{server.spec.name}: expected 301 to {EXPECTED_LOCATION}, got "
                           f"{response.status} with Location {location!r}")

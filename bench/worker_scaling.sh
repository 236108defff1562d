#!/bin/bash
# How throughput scales with workers: ringway and nginx answer the port-80 redirect with
# N workers pinned to CPUs 0..N-1 while wrk runs on the CPUs above them; prints requests per
# second and per server CPU-second (utime+stime of the whole process tree from /proc).
# Needs >= 2x the largest N CPUs. Usage: bench/worker_scaling.sh [SECONDS] [N ...]
# Binaries come from PATH (see bench/bundle.sh for machines without the packages).
set -uo pipefail
seconds=${1:-5}
shift || true
counts=("${@:-1 2 4 8}")
read -r -a counts <<<"${counts[*]}"
cpus=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/webroot" "$work/nginx"

ticks_of_tree() {  # utime+stime clock ticks of a process and its children
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

measure() {  # name workers port pid: one wrk run, one line of figures
  local name=$1 workers=$2 port=$3 pid=$4 before after rate hz
  hz=$(getconf CLK_TCK)
  before=$(ticks_of_tree "$pid")
  rate=$(taskset -c "$workers-$((cpus - 1))" wrk -t"$workers" -c$((64 * workers)) -d"${seconds}s" \
    -H 'Host: example.org' "http://127.0.0.1:$port/some/path" | awk '/Requests\/sec/ {print $2}')
  after=$(ticks_of_tree "$pid")
  awk -v n="$name" -v w="$workers" -v r="$rate" -v t=$((after - before)) -v s="$seconds" -v hz="$hz" \
    'BEGIN { printf "%-8s workers=%-2d %10.0f req/s %9.0f req/CPU-s\n", n, w, r, r * s / (t / hz) }'
}

for workers in "${counts[@]}"; do
  if ((2 * workers > cpus)); then echo "skipping $workers workers: $cpus CPUs"; continue; fi
  last=$((workers - 1))
  cat >"$work/ringway.toml" <<CONFIG
workers = $workers
[http]
listen = ["127.0.0.1:18080"]
acme_webroot = "$work/webroot"
redirect_port = 443
[log]
access = "off"
CONFIG
  taskset -c "0-$last" ringway run --config "$work/ringway.toml" 2>"$work/ringway.err" &
  pid=$!
  sleep 1
  if kill -0 "$pid" 2>/dev/null; then
    measure ringway "$workers" 18080 "$pid"
    kill "$pid"
  else
    echo "ringway did not start:"; cat "$work/ringway.err"
  fi
  wait "$pid"
  cat >"$work/nginx/nginx.conf" <<CONFIG
worker_processes $workers; worker_cpu_affinity auto; daemon off;
pid $work/nginx/nginx.pid; error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:18081 reuseport; return 301 https://\$host\$request_uri; }
}
CONFIG
  taskset -c "0-$last" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  pid=$!
  sleep 1
  measure nginx "$workers" 18081 "$pid"
  kill "$pid"
  wait "$pid"
done

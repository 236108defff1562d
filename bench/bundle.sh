#!/bin/bash
# Packs ringway, the benchmark peers (nginx, HAProxy, wrk, openssl, curl) and every shared library
# they load, with this machine's dynamic loader, into one directory that runs on a machine
# without those packages (the lent 16-core box): bin/<name> wrappers start each binary
# through the bundled loader. Usage: bench/bundle.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
build=${1:-build}
out=${2:-devbundle}
binaries=("$build/ringway" "$build/bench/floor_responder" "$build/bench/tls_load"
          "$build/bench/rate_load" "$(command -v nginx)" "$(command -v haproxy)"
          "$(command -v wrk)" "$(command -v openssl)" "$(command -v curl)")
rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
for binary in "${binaries[@]}"; do
  name=$(basename "$binary")
  cp "$binary" "$out/$name"
  # ldd names each library after "=>" and the loader on a line of its own.
  ldd "$binary" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r library; do
    [ -f "$library" ] && cp -Ln "$library" "$out/lib/"
  done
  cat >"$out/bin/$name" <<WRAPPER
#!/bin/sh
here=\$(dirname "\$(dirname "\$(readlink -f "\$0")")")
exec "\$here/lib/ld-linux-x86-64.so.2" --library-path "\$here/lib" "\$here/$name" "\$@"
WRAPPER
  chmod +x "$out/bin/$name"
done
echo "bundle in $out ($(du -sh "$out" | cut -f1)); put $out/bin first in PATH"

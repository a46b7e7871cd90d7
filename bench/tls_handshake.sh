#!/usr/bin/env bash
# Full TLS handshakes per second and server CPU per handshake (issue 11): `sockit serve echo
# --ssl` vs `openssl s_server` vs nginx (one process, http with ssl, `return 200`), all with the
# same certificate, driven by the same client: `openssl s_time -new` (a full handshake per
# connection, no resumption). The server is pinned to CPU 0 and s_time to CPU 1; server CPU
# comes from /proc/PID/stat (utime + stime) before and after each run.
#
#   bench/tls_handshake.sh [SECONDS]        (default 5)
#   KEY=rsa bench/tls_handshake.sh          RSA-2048 instead of EC P-256
#   MODE=reuse bench/tls_handshake.sh       resumed handshakes: `s_time -reuse -www /` (each
#                                           connection resumes the first one's session and
#                                           fetches a page, so TLS 1.3 tickets are read; sockit
#                                           serves it with `serve http --ssl`)
#   SOCKIT=build/release/bin/sockit         the binary measured (default: the release build)
#
# Prints one line per server: handshakes, handshakes/s, server CPU us per handshake. All three
# negotiate TLS 1.3 (TLS_AES_256_GCM_SHA384, X25519) with s_time's defaults.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

secs=${1:-5}
sockit=${SOCKIT:-build/release/bin/sockit}
key_type=${KEY:-ec}
mode=${MODE:-new}
case $mode in
  new) s_time_mode=(-new) ;;
  reuse) s_time_mode=(-reuse -www /) ;;
  *) echo "MODE is new or reuse, not $mode" >&2; exit 2 ;;
esac
hz=$(getconf CLK_TCK)
dir=$(mktemp -d /tmp/sockit-tls-bench.XXXXXX)
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

[[ -x "$sockit" ]] || { echo "no sockit binary at $sockit (cmake --build --preset release)" >&2; exit 1; }

tls_cert "$dir" "$key_type"




# measure NAME PORT: s_time against the server whose pid is $server_pid.
measure() {
  local name=$1 port=$2 t0 t1 w0 w1 out n real
  t0=$(cpu_ticks "$server_pid")
  w0=$(date +%s.%N)
  out=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$port" "${s_time_mode[@]}" -time "$secs" \
    2>&1 || true)
  w1=$(date +%s.%N)
  t1=$(cpu_ticks "$server_pid")
  # s_time prints real seconds as a whole number: the wall time is measured here instead.
  n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' <<<"$out" | head -1)
  real=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", b - a }')
  if [[ -z "$n" || "$n" == 0 ]]; then
    echo "$name: s_time failed: $out" >&2
    return 0
  fi
  # s_time prints one character per connection: '*' new, 'r' resumed.
  resumed=$(grep -E '^[*r]+$' <<<"$out" | tr -cd 'r' | wc -c)
  awk -v name="$name" -v n="$n" -v real="$real" -v ticks=$((t1 - t0)) -v hz="$hz" \
    -v resumed="$resumed" 'BEGIN {
    printf "%-16s %7d handshakes (%d resumed) in %s s: %8.0f /s, server CPU %6.1f us per handshake\n",
      name, n, resumed, real, n / real, ticks / hz * 1e6 / n }'
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

echo "key: $key_type; $secs s each; server on CPU 0, openssl s_time ${s_time_mode[*]} on CPU 1;" \
  "$(nproc) CPUs"

port=$(free_port)
if [[ $mode == new ]]; then
  taskset -c 0 "$sockit" serve echo 127.0.0.1 "$port" --model loop --ssl \
    --ssl-cert "$dir/cert.pem" --ssl-key "$dir/key.pem" 2>"$dir/sockit.log" &
else
  mkdir -p "$dir/www" && printf x >"$dir/www/index.html"
  taskset -c 0 "$sockit" serve http 127.0.0.1 "$port" --model loop --root "$dir/www" --quiet \
    --ssl --ssl-cert "$dir/cert.pem" --ssl-key "$dir/key.pem" 2>"$dir/sockit.log" &
fi
server_pid=$!
wait_port "$port"
measure "sockit serve" "$port"
stop_server

port=$(free_port)
# -www: s_server answers on its own and never reads stdin (which it would end at EOF).
taskset -c 0 openssl s_server -accept "127.0.0.1:$port" -cert "$dir/cert.pem" \
  -key "$dir/key.pem" -quiet -www </dev/null >"$dir/s_server.log" 2>&1 &
server_pid=$!
wait_port "$port"
measure "openssl s_server" "$port"
stop_server

port=$(free_port)
nginx_tls_conf "$dir" "$port"
taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx.err" &
server_pid=$!
wait_port "$port"
measure "nginx" "$port"
stop_server

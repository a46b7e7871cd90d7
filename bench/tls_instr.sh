#!/usr/bin/env bash
# User-space instructions per full TLS handshake, counted by callgrind (issue 11): the server
# cost figure that repeats on this noisy 2-core VM, where bench/tls_handshake.sh's CPU times
# move by 10-20% with the machine's load. Servers: `sockit serve echo --ssl`, nginx (http with
# ssl, `return 200`, the config of bench/tls_handshake.sh) and `openssl s_server -www`, all with
# the same certificate, each under valgrind. The client is /usr/bin/python3's ssl module doing
# one full handshake per connection (no session reuse), then closing; it is not measured.
# Counters are zeroed after WARMUP handshakes and dumped after HANDSHAKES more.
#
#   bash bench/tls_instr.sh                 (HANDSHAKES=200 WARMUP=20 KEY=ec)
#   KEY=rsa bash bench/tls_instr.sh         RSA-2048 instead of EC P-256
#   MODE=reuse bash bench/tls_instr.sh      resumed handshakes: each connection fetches `/` over
#                                           HTTP/1.0 (so the TLS 1.3 tickets are read) and the
#                                           next one resumes its session; sockit serves it with
#                                           `serve http --ssl`. The counts then include one small
#                                           HTTP exchange per connection.
#   SOCKIT=build/release/bin/sockit         the binary measured (default: the release build)
#
# Every server is started and stopped here, on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
sockit=${SOCKIT:-build/release/bin/sockit}
count=${HANDSHAKES:-200}
warmup=${WARMUP:-20}
key_type=${KEY:-ec}
mode=${MODE:-new}
case $mode in new | reuse) ;; *) echo "MODE is new or reuse, not $mode" >&2; exit 2 ;; esac
command -v valgrind >/dev/null || { echo "bench/tls_instr.sh: valgrind is not installed" >&2; exit 1; }
[[ -x "$sockit" ]] || { echo "no sockit binary at $sockit (cmake --build --preset release)" >&2; exit 1; }
dir=$(mktemp -d /tmp/sockit-tls-instr.XXXXXX)
vpid=""
cleanup() {
  if [[ -n "$vpid" ]]; then kill "$vpid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

tls_cert "$dir" "$key_type"


# handshakes PORT N [reuse]: N handshakes, one connection each; prints how many completed and
# how many of them resumed the previous connection's session.
handshakes() {
  /usr/bin/python3 - "$1" "$2" "${3:-new}" <<'PY'
import socket, ssl, sys, time
port, n, reuse = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "reuse"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
done = resumed = 0
session = None
deadline = time.monotonic() + 600
for _ in range(n):
    if time.monotonic() > deadline:
        break
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            if reuse:
                tls.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                while tls.recv(4096):
                    pass
                resumed += tls.session_reused
                session = tls.session
            done += 1
print(done, resumed)
PY
}

wait_tls() {  # valgrind takes seconds to start: up to 60 s for a handshake to succeed
  for _ in $(seq 120); do
    if [[ "$(handshakes "$1" 1 2>/dev/null)" == "1 0" ]]; then return 0; fi
    sleep 0.5
  done
  echo "bench/tls_instr.sh: nothing answers TLS on port $1" >&2
  return 1
}

# measure NAME PORT -- COMMAND...: the server runs under callgrind.
measure() {
  local name=$1 port=$2 out=$dir/$1 done resumed file ir
  shift 3
  valgrind --tool=callgrind --callgrind-out-file="$out.cg" "$@" >"$out.log" 2>&1 </dev/null &
  vpid=$!
  wait_tls "$port" || { kill "$vpid"; vpid=""; return 0; }
  handshakes "$port" "$warmup" "$mode" >/dev/null
  callgrind_control -z "$vpid" >/dev/null 2>&1
  read -r done resumed < <(handshakes "$port" "$count" "$mode")
  callgrind_control -d "$vpid" >/dev/null 2>&1
  kill "$vpid" 2>/dev/null || true
  wait "$vpid" 2>/dev/null || true
  vpid=""
  file=$(ls -t "$out".cg.* 2>/dev/null | head -1 || true)
  [[ -n "$file" && "${done:-0}" -gt 0 ]] || { echo "bench/tls_instr.sh: $name: no result" >&2; return 0; }
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$file")
  printf '%-18s %5d handshakes (%d resumed): %10d instructions per handshake\n' "$name" "$done" \
    "$resumed" $((ir / done))
}

echo "key: $key_type; mode: $mode; $count connections per server after $warmup unmeasured;" \
  "TLS 1.3 (python's defaults)"

port=$(free_port)
if [[ $mode == new ]]; then
  measure "sockit serve" "$port" -- "$sockit" serve echo 127.0.0.1 "$port" --model loop --ssl \
    --ssl-cert "$dir/cert.pem" --ssl-key "$dir/key.pem"
else
  mkdir -p "$dir/www" && printf x >"$dir/www/index.html"
  measure "sockit serve" "$port" -- "$sockit" serve http 127.0.0.1 "$port" --model loop \
    --root "$dir/www" --quiet --ssl --ssl-cert "$dir/cert.pem" --ssl-key "$dir/key.pem"
fi

port=$(free_port)
nginx_tls_conf "$dir" "$port"
measure "nginx" "$port" -- nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx.err"

port=$(free_port)
measure "openssl s_server" "$port" -- openssl s_server -accept "127.0.0.1:$port" \
  -cert "$dir/cert.pem" -key "$dir/key.pem" -quiet -www

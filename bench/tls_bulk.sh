#!/usr/bin/env bash
# TLS data path (issue 11): bulk echo MB/s through one connection and 64-byte ping-pong at 50
# connections, driven by `sockit bench --ssl` (verifying every echoed byte), against
#   - sockit serve echo --ssl (one process, TLS in the event loop),
#   - nginx's stream proxy terminating TLS, proxy_pass to a plain `sockit serve echo`
#     (needs the stream module: Debian's libnginx-mod-stream; skipped when it is missing),
#   - socat OPENSSL-LISTEN:...,fork EXEC:cat (a process per connection).
# Same EC P-256 certificate, TLS 1.3. Each server is pinned to CPU 0 (its plain echo peer
# too), the load to CPU 1. Three interleaved rounds; the medians are printed. Server CPU per
# request is utime+stime (+ reaped children) from /proc/PID/stat of the server's processes.
#
#   bench/tls_bulk.sh [SECONDS]            (default 5 per run)
#   SOCKIT=build/release/bin/sockit        the binary measured (default: the release build)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

secs=${1:-5}
sockit=${SOCKIT:-build/release/bin/sockit}
hz=$(getconf CLK_TCK)
dir=$(mktemp -d /tmp/sockit-tls-bulk.XXXXXX)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

[[ -x "$sockit" ]] || { echo "no sockit binary at $sockit (cmake --build --preset release)" >&2; exit 1; }

tls_cert "$dir"

# CPU ticks of a set of processes, children they reaped included.
cpu_ticks() {
  local sum=0 p
  for p in "$@"; do sum=$((sum + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat"))); done
  echo "$sum"
}

declare -A port server_pids
names=()

# sockit serve echo --ssl
p=$(free_port)
taskset -c 0 "$sockit" serve echo 127.0.0.1 "$p" --model loop --ssl \
  --ssl-cert "$dir/cert.pem" --ssl-key "$dir/key.pem" 2>"$dir/sockit.log" &
pids+=($!); port[sockit]=$p; server_pids[sockit]=$!; names+=(sockit)

# nginx stream: TLS termination in front of a plain sockit echo.
if nginx -V 2>&1 | grep -q with-stream && { [[ -e /usr/lib/nginx/modules/ngx_stream_module.so ]] ||
  ! nginx -V 2>&1 | grep -q with-stream=dynamic; }; then
  plain=$(free_port)
  taskset -c 0 "$sockit" serve echo 127.0.0.1 "$plain" --model loop 2>"$dir/plain.log" &
  pids+=($!); plain_pid=$!
  p=$(free_port)
  load=""
  [[ -e /usr/lib/nginx/modules/ngx_stream_module.so ]] &&
    load="load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
  cat >"$dir/nginx.conf" <<CONF
$load
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/nginx.err;
events { worker_connections 1024; }
stream {
  server {
    listen 127.0.0.1:$p ssl;
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    ssl_protocols TLSv1.3;
    proxy_pass 127.0.0.1:$plain;
  }
}
CONF
  taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx.err" &
  pids+=($!); port[nginx]=$p; server_pids[nginx]="$! $plain_pid"; names+=(nginx)
else
  echo "nginx: no stream module (Debian: libnginx-mod-stream); skipped" >&2
fi

# socat: a forked process per connection, cat as the echo.
p=$(free_port)
taskset -c 0 socat "OPENSSL-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork,cert=$dir/cert.pem,key=$dir/key.pem,verify=0,openssl-min-proto-version=TLS1.3" EXEC:cat 2>"$dir/socat.log" &
pids+=($!); port[socat]=$p; server_pids[socat]=$!; names+=(socat)

for n in "${names[@]}"; do wait_port "${port[$n]}"; done

# run NAME KIND: one sockit bench run; appends "NAME KIND value cpu_us_per_request" to results.
run() {
  local name=$1 kind=$2 args t0 t1 out
  if [[ $kind == bulk ]]; then args=(--bulk --conns 1); else args=(--conns 50 --size 64); fi
  # shellcheck disable=SC2086
  t0=$(cpu_ticks ${server_pids[$name]})
  out=$(taskset -c 1 "$sockit" bench tcp 127.0.0.1 "${port[$name]}" --ssl --cacert "$dir/cert.pem" \
    --ssl-servername localhost --duration "$secs" "${args[@]}" --json || true)
  sleep 0.3  # socat reaps its children: their CPU shows in cutime/cstime
  # shellcheck disable=SC2086
  t1=$(cpu_ticks ${server_pids[$name]})
  printf '%s' "$out" >"$dir/out.json"
  /usr/bin/python3 - "$name" "$kind" "$((t1 - t0))" "$hz" "$dir/out.json" >>"$dir/results" <<'PY'
import json, sys
name, kind, ticks, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
try:
    r = json.load(open(sys.argv[5]))
except ValueError:
    print(f"{name} {kind} fail fail"); sys.exit()
errs = r["errors"]["total"]
value = r["mb_per_sec"] if kind == "bulk" else r["rps"]
work = r["responses"] if kind == "pingpong" else max(1, r["bytes_received"] // (1 << 20))
print(f"{name} {kind} {value:.1f} {ticks / hz * 1e6 / max(1, work):.2f} {errs}")
PY
}

echo "TLS 1.3, EC P-256; $secs s per run (no warmup: the CPU figures cover exactly the counted work), 3 interleaved rounds, medians;" \
  "servers on CPU 0, sockit bench on CPU 1; $(nproc) CPUs"
for round in 1 2 3; do
  for n in "${names[@]}"; do run "$n" bulk; run "$n" pingpong; done
done

/usr/bin/python3 - "$dir/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, kind, value, cpu, *errs = line.split()
    if value == "fail":
        continue
    rows.setdefault((name, kind), []).append((float(value), float(cpu), int(errs[0]) if errs else 0))
for (name, kind), runs in rows.items():
    v = statistics.median(r[0] for r in runs)
    c = statistics.median(r[1] for r in runs)
    e = sum(r[2] for r in runs)
    if kind == "bulk":
        print(f"{name:7} bulk, 1 conn:          {v:9.1f} MB/s      server CPU {c:8.1f} us/MiB   errors {e}  ({len(runs)} runs)")
    else:
        print(f"{name:7} ping-pong 64 B, 50 c: {v:9.0f} req/s     server CPU {c:8.2f} us/request errors {e}  ({len(runs)} runs)")
PY

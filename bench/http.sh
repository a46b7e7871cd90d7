#!/usr/bin/env bash
# bench/http.sh: `sockit serve http` side by side with nginx (Debian, one worker, no master,
# access log off, sendfile on), h2o (one thread, its file handler) and `python3 -m http.server`,
# on the same files. Each server is pinned to one core (SERVER_CPU) and wrk to the other
# (LOAD_CPU). Two phases:
#
# 1. Load: every WORKLOADS entry NAME@CONNS runs `wrk -t1 -cCONNS -dDURATION` against every
#    server, ROUNDS interleaved rounds (every server and workload once per round, so a noisy
#    neighbour hits all alike; each round starts one server further along the list). NAME is
#    plaintext (sockit's route, nginx's `return`; h2o and python serve a 13-byte file of that
#    name), 1k.bin, 1m.bin, p16 (/plaintext pipelined
#    16 deep through a wrk script) or h1p16 (the same with `h2load --h1 -m16 -t1 -cCONNS
#    -DDURATION`, which keeps 16 requests outstanding per connection; the pipelined ones skip
#    python: it answers pipelined requests one by one and stalls the generator). Reports
#    requests/s, server CPU per request (utime+stime deltas of the server process from
#    /proc/PID/stat divided by the requests the generator completed), the generator's own CPU
#    (when it nears a full core the generator is the limit: rank by server CPU), and each
#    figure as a ratio to nginx's median.
# 2. Idle memory (IDLE connections, 0 skips it): each server gets IDLE keep-alive connections
#    that have each fetched /1k.bin once and then sit idle; the growth of the server's resident
#    memory (VmRSS) divided by IDLE is its user-space memory per idle connection (the kernel's
#    socket buffers are not in it). nginx allocates a slot for each of its worker_connections
#    (16384 here) at start, so its growth understates its cost: compare the totals too. Then ACTIVE connections run wrk for DURATION while the idle
#    ones stay open. python is left out (a thread per connection).
#
#   bench/http.sh                      # SOCKIT=build/release/bin/sockit if built, else dev
#   SOCKIT=build/dev/bin/sockit DURATION=5 ROUNDS=3 bench/http.sh
#   SERVERS="sockit nginx" WORKLOADS="plaintext@256 1m.bin@50" IDLE=0 bench/http.sh
#   SOCKIT_BASE=/tmp/sockit-before SERVERS="sockit base nginx" WORKLOADS=1m.bin@50 IDLE=0 \
#     ROUNDS=9 bench/http.sh           # a change against the binary before it, same rounds
#   SERVERS="sockit nginx" ROUNDS=0 bench/http.sh   # the idle phase only
#
# Needs: nginx (nginx-light), wrk, taskset, /usr/bin/time, /usr/bin/python3; h2o when it is in
# SERVERS; h2load (nghttp2-client) when h1p16 is in WORKLOADS.
# Exit 2 when one is missing.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")/.." && pwd)
SOCKIT=${SOCKIT:-}
if [[ -z $SOCKIT ]]; then
  SOCKIT=$here/build/release/bin/sockit
  [[ -x $SOCKIT ]] || SOCKIT=$here/build/dev/bin/sockit
fi
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
SERVERS=${SERVERS:-sockit nginx h2o python}
WORKLOADS=${WORKLOADS:-plaintext@$CONNS plaintext@256 1k.bin@$CONNS 1m.bin@$CONNS p16@$CONNS h1p16@$CONNS}
IDLE=${IDLE:-10000}
ACTIVE=${ACTIVE:-100}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
H2O=${H2O:-$(command -v h2o || echo /usr/bin/h2o)}

need=("$SOCKIT" "$NGINX" wrk taskset /usr/bin/time /usr/bin/python3)
# `base`: a second sockit binary (SOCKIT_BASE), served and measured like the first.
SOCKIT_BASE=${SOCKIT_BASE:-}
[[ " $SERVERS " == *" base "* ]] && need+=("${SOCKIT_BASE:-SOCKIT_BASE (unset)}")
[[ " $SERVERS " == *" h2o "* ]] && need+=("$H2O")
[[ " $WORKLOADS " == *" h1p16@"* ]] && need+=(h2load)
for tool in "${need[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x $tool ]]; then
    echo "bench/http.sh: $tool not found" >&2
    exit 2
  fi
done
# The idle phase holds IDLE connections in the client and in the server at once.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmp=$(mktemp -d /tmp/sockit-bench-http.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

root=$tmp/www
mkdir -p "$root"
head -c 1024 /dev/urandom >"$root/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$root/1m.bin"
# h2o and python have no such route: they serve /plaintext as this file (sockit's route and
# nginx's `return` answer the same 13 bytes without touching a file).
printf 'Hello, World!' >"$root/plaintext"
# wrk sends 16 requests in one write and counts 16 answers.
cat >"$tmp/p16.lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/plaintext") end
  req = table.concat(r)
end
request = function() return req end
LUA



# --- servers -------------------------------------------------------------------------------
declare -A PORT PID

start_sockit() {  # PORT [BINARY NAME]
  taskset -c "$SERVER_CPU" "${2:-$SOCKIT}" serve http 127.0.0.1 "$1" --root "$root" --quiet \
    --model loop --max-conns 20000 2>"$tmp/${3:-sockit}.err" &
}

start_base() { start_sockit "$1" "$SOCKIT_BASE" base; }

start_nginx() {
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
worker_rlimit_nofile 20000;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:$1;
    root $root;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
  }
}
CONF
  taskset -c "$SERVER_CPU" "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
    2>"$tmp/nginx.err" &
}

start_h2o() {
  mkdir -p "$tmp/h2o"
  # One thread, as nginx's one worker; its request timeout is its keep-alive timeout, raised
  # to nginx's 75 s so the idle phase measures held connections, not closed ones.
  cat >"$tmp/h2o/h2o.conf" <<CONF
num-threads: 1
user: $(id -un)
pid-file: $tmp/h2o/pid
error-log: $tmp/h2o/error.log
max-connections: 16384
http1-request-timeout: 75
listen:
  host: 127.0.0.1
  port: $1
hosts:
  default:
    paths:
      /:
        file.dir: $root
CONF
  taskset -c "$SERVER_CPU" "$H2O" -c "$tmp/h2o/h2o.conf" >"$tmp/h2o.out" 2>&1 &
}

start_python() {
  taskset -c "$SERVER_CPU" /usr/bin/python3 -m http.server "$1" --bind 127.0.0.1 \
    --directory "$root" >/dev/null 2>&1 &
}

for s in $SERVERS; do
  port=$(free_port)
  "start_$s" "$port"
  PID[$s]=$!; PORT[$s]=$port; pids+=("$!")
done
for s in $SERVERS; do wait_port "${PORT[$s]}"; done

tick_us=$((1000000 / $(getconf CLK_TCK)))

# --- phase 1: load -------------------------------------------------------------------------
results=$tmp/results.txt
: >"$results"
skip() { [[ $1 == python && ($2 == p16 || $2 == h1p16) ]]; }

# Runs workload $1 at $2 connections against port $3 on LOAD_CPU; prints "REQUESTS RPS ERRORS"
# (errors: empty when there were none) and leaves the generator's CPU times in $tmp/gen.time.
load() {
  local w=$1 c=$2 port=$3 out
  local timed=(taskset -c "$LOAD_CPU" /usr/bin/time -f 'gen-cpu %U %S' -o "$tmp/gen.time")
  if [[ $w == h1p16 ]]; then
    # h2load 1.52 now and then never returns once its duration ends (its thread waits for
    # pipelined answers it no longer reads): bounded, and then reported as a failed run.
    out=$("${timed[@]}" timeout -k 2 $((DURATION + 15)) h2load --h1 -t1 -c"$c" -m16 \
      -D"$DURATION" "http://127.0.0.1:$port/plaintext" 2>&1) || true
    # "requests: T total, S started, D done, OK succeeded, F failed, E errored, X timeout"
    awk '/^finished in/ { rps = $4; done = 1 }
      /^requests:/ { ok = $8; bad = $10 + $12 + $14 }
      /^status codes:/ { non2xx = $5 + $7 + $9 }
      END { e = ""; if (!done) e = "h2load-hung "; if (bad > 0) e = e "failed " bad " "
        if (non2xx > 0) e = e "non-2xx " non2xx
        if (done) printf "%s %s %s\n", ok + 0, rps + 0, e; else printf "0 nan %s\n", e }' <<<"$out"
    return
  fi
  local script=() path=$w
  if [[ $w == p16 ]]; then script=(-s "$tmp/p16.lua"); path=plaintext; fi
  out=$("${timed[@]}" wrk -t1 -c"$c" -d"${DURATION}s" "${script[@]}" \
    "http://127.0.0.1:$port/$path" 2>&1) || true
  awk '/requests in/ { n = $1 } /Requests\/sec/ { rps = $2 }
    /Non-2xx|Socket errors/ { e = e $0 " " }
    END { if (rps == "") { n = 0; rps = "nan"; e = e "wrk-failed" }
      printf "%s %s %s\n", n, rps, e }' <<<"$out"
}
for round in $(seq "$ROUNDS"); do
  # shellcheck disable=SC2086 # SERVERS is a list of words
  for s in $(rotated "$round" $SERVERS); do
    for wl in $WORKLOADS; do
      w=${wl%@*} c=${wl#*@}
      skip "$s" "$w" && continue
      before=$(cpu_ticks "${PID[$s]}")
      read -r reqs rps errs < <(load "$w" "$c" "${PORT[$s]}")
      after=$(cpu_ticks "${PID[$s]}")
      cpu_us=$(awk -v t=$((after - before)) -v r="$reqs" -v u="$tick_us" \
        'BEGIN { if (r > 0) printf "%.2f", t * u / r; else print "nan" }')
      # The generator's own CPU as a share of one core: near 100% means it is the limit.
      wrk_share=$(awk -v d="$DURATION" '/^gen-cpu/ { printf "%.0f", ($2 + $3) * 100 / d }' \
        "$tmp/gen.time")
      printf '%s %s %s %s %s %s %s\n' "$s" "$wl" "$round" "$rps" "$cpu_us" "$wrk_share" \
        "${errs:-}" >>"$results"
      printf 'round %s  %-6s %-14s %10s req/s  %8s us CPU/req  gen %3s%% CPU %s\n' "$round" \
        "$s" "$wl" "$rps" "$cpu_us" "$wrk_share" "${errs:-}"
    done
  done
done

median() {  # median of column $3 for server $1 and workload $2
  awk -v s="$1" -v w="$2" -v k="$3" '$1 == s && $2 == w && $4 != "nan" {print $k}' "$results" |
    sort -g |
    awk '{v[NR] = $1} END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'
}

if ((ROUNDS > 0)); then
  echo
  echo "median of $ROUNDS rounds (${DURATION}s each, server on CPU $SERVER_CPU, load (wrk -t1;" \
    "h2load -t1 for h1p16) on CPU" \
    "$LOAD_CPU; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg));" \
    "ratios are to nginx (req/s: higher is better; CPU/req: lower is better):"
  for wl in $WORKLOADS; do
    w=${wl%@*}
    n_rps=$(median nginx "$wl" 4) n_cpu=$(median nginx "$wl" 5)
    for s in $SERVERS; do
      skip "$s" "$w" && continue
      rps=$(median "$s" "$wl" 4) cpu=$(median "$s" "$wl" 5) gen=$(median "$s" "$wl" 6)
      awk -v wl="$wl" -v s="$s" -v r="$rps" -v c="$cpu" -v nr="$n_rps" -v nc="$n_cpu" \
        -v g="$gen" 'BEGIN {
        rr = (nr + 0 > 0) ? sprintf("%.2fx", r / nr) : "-"
        cr = (nc + 0 > 0) ? sprintf("%.2fx", c / nc) : "-"
        printf "  %-14s %-6s %10s req/s (%6s)  %8s us CPU/req (%6s)  gen %3s%%\n", wl, s, r, rr,
          c, cr, g }'
    done
  done
fi

# --- phase 2: idle keep-alive memory -------------------------------------------------------
if ((IDLE > 0)); then
  cat >"$tmp/idle.py" <<'PY'
# Opens N connections to 127.0.0.1:PORT, fetches /1k.bin once on each (keep-alive), then holds
# them idle until stdin closes. Prints "ready N" once all N have their response. Bounded: gives
# up after 60 s.
import selectors, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n"
sel, socks, done, deadline = selectors.DefaultSelector(), [], 0, time.monotonic() + 60
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    socks.append(s)
    sel.register(s, selectors.EVENT_WRITE, [0, b""])
    # keep the accept queue short: let the server catch up every 200 connections
    if i % 200 == 199:
        time.sleep(0.02)
while done < n and time.monotonic() < deadline:
    for key, ev in sel.select(1):
        s, st = key.fileobj, key.data
        if ev & selectors.EVENT_WRITE:
            s.send(req)
            sel.modify(s, selectors.EVENT_READ, st)
            continue
        data = s.recv(65536)
        if not data:
            sys.exit(f"idle.py: connection closed early ({done} of {n} ready)")
        st[1] += data
        head, sep, _ = st[1].partition(b"\r\n\r\n")
        if sep and len(st[1]) - len(head) - 4 >= 1024:
            sel.unregister(s)
            done += 1
if done < n:
    sys.exit(f"idle.py: {done} of {n} connections ready after 60 s")
print("ready", n, flush=True)
sys.stdin.read()
PY
  rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
  echo
  echo "idle keep-alive: $IDLE connections that each fetched /1k.bin once, then $ACTIVE active" \
    "(wrk, ${DURATION}s) while they stay open:"
  for s in $SERVERS; do
    [[ $s == python ]] && continue
    before=$(rss_kib "${PID[$s]}")
    coproc IDLER { taskset -c "$LOAD_CPU" /usr/bin/python3 "$tmp/idle.py" "${PORT[$s]}" "$IDLE"; }
    idler_pid=$IDLER_PID
    line=""
    read -r -t 90 line <&"${IDLER[0]}" || true
    if [[ $line != "ready $IDLE" ]]; then
      echo "  $s: the idle connections were not all served (${line:-no answer})"
      kill "$idler_pid" 2>/dev/null || true
      wait "$idler_pid" 2>/dev/null || true
      continue
    fi
    after=$(rss_kib "${PID[$s]}")
    out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$ACTIVE" -d"${DURATION}s" \
      "http://127.0.0.1:${PORT[$s]}/1k.bin" 2>&1)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '/Latency/ {print $2}' <<<"$out")
    kill "$idler_pid" 2>/dev/null || true
    wait "$idler_pid" 2>/dev/null || true
    awk -v s="$s" -v b="$before" -v a="$after" -v n="$IDLE" -v r="$rps" -v l="$p99" 'BEGIN {
      printf "  %-6s RSS %7d -> %7d KiB: %6.2f KiB per idle connection; %s req/s on %s\n",
        s, b, a, (a - b) / n, r, "the active ones (mean latency " l ")" }'
    sleep 1
  done
fi
echo "sockit: $SOCKIT"
[[ " $SERVERS " == *" base "* ]] && echo "base: $SOCKIT_BASE"
true

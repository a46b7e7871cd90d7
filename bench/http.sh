#!/usr/bin/env bash
# bench/http.sh: `sockit serve http` side by side with nginx (Debian, one worker, no master,
# access log off, sendfile on) and `python3 -m http.server`, on the same files. Each server is
# pinned to one core (SERVER_CPU) and wrk to the other (LOAD_CPU). Workloads: /plaintext and a
# 1 KiB file at CONNS connections, and /plaintext pipelined 16 deep (sockit and nginx only:
# python's server answers pipelined requests one by one and stalls wrk), DURATION seconds per run, ROUNDS interleaved rounds (every
# server and workload once per round, so that a noisy neighbour hits all alike). Reports
# requests/s and server CPU per request (utime+stime deltas of the server process from
# /proc/PID/stat over the run, divided by the requests wrk completed).
#
#   bench/http.sh                      # SOCKIT=build/release/bin/sockit if built, else dev
#   SOCKIT=build/dev/bin/sockit DURATION=5 ROUNDS=3 CONNS=50 bench/http.sh
#
# Needs: nginx (nginx-light), wrk, taskset, /usr/bin/python3. Exit 2 when one is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
SOCKIT=${SOCKIT:-}
if [[ -z $SOCKIT ]]; then
  SOCKIT=$here/build/release/bin/sockit
  [[ -x $SOCKIT ]] || SOCKIT=$here/build/dev/bin/sockit
fi
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for tool in "$SOCKIT" "$NGINX" wrk taskset /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x $tool ]]; then
    echo "bench/http.sh: $tool not found" >&2
    exit 2
  fi
done

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
# python has no routes: it serves /plaintext as this file (sockit's route and nginx's `return`
# answer the same 13 bytes without touching a file).
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

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {  # up to 5 s
  for _ in $(seq 50); do
    if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "bench/http.sh: nothing listens on port $1" >&2
  return 1
}

# --- servers -------------------------------------------------------------------------------
declare -A PORT PID

sockit_port=$(free_port)
taskset -c "$SERVER_CPU" "$SOCKIT" serve http 127.0.0.1 "$sockit_port" --root "$root" --quiet \
  --model loop 2>"$tmp/sockit.err" &
PID[sockit]=$!; PORT[sockit]=$sockit_port; pids+=("$!")

nginx_port=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
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
    listen 127.0.0.1:$nginx_port;
    root $root;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
  }
}
CONF
taskset -c "$SERVER_CPU" "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx.err" &
PID[nginx]=$!; PORT[nginx]=$nginx_port; pids+=("$!")

python_port=$(free_port)
taskset -c "$SERVER_CPU" /usr/bin/python3 -m http.server "$python_port" --bind 127.0.0.1 \
  --directory "$root" >/dev/null 2>&1 &
PID[python]=$!; PORT[python]=$python_port; pids+=("$!")

for s in sockit nginx python; do wait_port "${PORT[$s]}"; done

cpu_ticks() {  # utime + stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

# --- runs ----------------------------------------------------------------------------------
results=$tmp/results.txt
: >"$results"
for round in $(seq "$ROUNDS"); do
  for s in sockit nginx python; do
    for w in plaintext 1k.bin p16; do
      [[ $s == python && $w == p16 ]] && continue
      script=() path=$w
      if [[ $w == p16 ]]; then script=(-s "$tmp/p16.lua"); path=plaintext; fi
      before=$(cpu_ticks "${PID[$s]}")
      out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" "${script[@]}" \
        "http://127.0.0.1:${PORT[$s]}/$path" 2>&1)
      after=$(cpu_ticks "${PID[$s]}")
      reqs=$(awk '/requests in/ {print $1}' <<<"$out")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
      cpu_us=$(awk -v t=$((after - before)) -v r="$reqs" -v u="$tick_us" \
        'BEGIN { if (r > 0) printf "%.2f", t * u / r; else print "nan" }')
      printf '%s %s %s %s %s %s\n' "$s" "$w" "$round" "$rps" "$cpu_us" "${errs:-}" >>"$results"
      printf 'round %s  %-6s %-9s %10s req/s  %8s us CPU/req %s\n' "$round" "$s" "$w" "$rps" \
        "$cpu_us" "${errs:-}"
    done
  done
done

echo
echo "median of $ROUNDS rounds ($CONNS connections, ${DURATION}s each, server on CPU $SERVER_CPU," \
  "wrk -t1 on CPU $LOAD_CPU; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)):"
for w in plaintext 1k.bin p16; do
  for s in sockit nginx python; do
    [[ $s == python && $w == p16 ]] && continue
    awk -v s="$s" -v w="$w" '$1 == s && $2 == w {print $4, $5}' "$results" | sort -n |
      awk -v s="$s" -v w="$w" '{r[NR] = $1; c[NR] = $2}
        END { m = int((NR + 1) / 2); printf "  %-9s %-6s %10s req/s  %8s us CPU/req\n", w, s, r[m], c[m] }'
  done
done
echo "sockit: $SOCKIT"

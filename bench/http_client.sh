#!/usr/bin/env bash
# bench/http_client.sh: `sockit http` against curl as HTTP clients of the same nginx (Debian,
# one worker, no master, access log off, sendfile on), nginx pinned to SERVER_CPU and the
# client to CLIENT_CPU, ROUNDS interleaved rounds (sockit then curl each round).
#
#   1. Download SIZE_MIB (default 1024 = 1 GiB) over loopback to /dev/null: MB/s and client CPU
#      (user+sys from /usr/bin/time) per GB.
#   2. REQUESTS (default 10,000) GETs of a 1 KiB file on one keep-alive connection: every URL
#      on one command line for both clients, bodies to /dev/null: requests/s and client CPU
#      per request.
# Prints one line per run and the medians, then the ratios sockit/curl.
#
#   bench/http_client.sh                  # SOCKIT=build/release/bin/sockit if built, else dev
#   SIZE_MIB=256 REQUESTS=2000 ROUNDS=1 bench/http_client.sh
#
# Needs: nginx (nginx-light), curl, taskset, /usr/bin/time, /usr/bin/python3. Exit 2 if missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
SOCKIT=${SOCKIT:-}
if [[ -z $SOCKIT ]]; then
  SOCKIT=$here/build/release/bin/sockit
  [[ -x $SOCKIT ]] || SOCKIT=$here/build/dev/bin/sockit
fi
SIZE_MIB=${SIZE_MIB:-1024}
REQUESTS=${REQUESTS:-10000}
ROUNDS=${ROUNDS:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for tool in "$SOCKIT" "$NGINX" curl taskset /usr/bin/time /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x $tool ]]; then
    echo "bench/http_client.sh: $tool not found" >&2
    exit 2
  fi
done

tmp=$(mktemp -d /tmp/sockit-bench-httpc.XXXXXX)
nginx_pid=
cleanup() {
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

root=$tmp/www
mkdir -p "$root" "$tmp/nginx"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$root/big.bin"
head -c 1024 /dev/urandom >"$root/1k.bin"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server { listen 127.0.0.1:$port; root $root; }
}
CONF
taskset -c "$SERVER_CPU" "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx.err" &
nginx_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/1k.bin" && break
  sleep 0.1
done

url_big="http://127.0.0.1:$port/big.bin"
url_small="http://127.0.0.1:$port/1k.bin"
# The same URL list for both clients, as arguments (10,000 x ~35 bytes fits ARG_MAX).
mapfile -t small_urls < <(for _ in $(seq "$REQUESTS"); do echo "$url_small"; done)

# Runs a client pinned; prints "wall user sys" in seconds.
measure() {
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" taskset -c "$CLIENT_CPU" "$@" >/dev/null 2>"$tmp/err" ||
    { echo "bench/http_client.sh: $1 failed: $(tail -1 "$tmp/err")" >&2; exit 1; }
  cat "$tmp/time"
}

declare -A dl_rate dl_cpu rq_rate rq_cpu
for round in $(seq "$ROUNDS"); do
  for client in sockit curl; do
    if [[ $client == sockit ]]; then big=("$SOCKIT" http -s -o /dev/null "$url_big")
    else big=(curl -s -o /dev/null "$url_big"); fi
    read -r wall user sys < <(measure "${big[@]}")
    rate=$(/usr/bin/python3 -c "print(f'{$SIZE_MIB*1.048576/$wall:.0f}')")
    cpu=$(/usr/bin/python3 -c "print(f'{($user+$sys)/($SIZE_MIB*1.048576/1000):.3f}')")
    dl_rate[$client]+="$rate "; dl_cpu[$client]+="$cpu "
    echo "round $round $client download: $rate MB/s, $cpu s CPU per GB (wall $wall s)"
    if [[ $client == sockit ]]; then small=("$SOCKIT" http -s "${small_urls[@]}")
    else small=(curl -s "${small_urls[@]}"); fi
    read -r wall user sys < <(measure "${small[@]}")
    rate=$(/usr/bin/python3 -c "print(f'{$REQUESTS/$wall:.0f}')")
    cpu=$(/usr/bin/python3 -c "print(f'{($user+$sys)*1e6/$REQUESTS:.1f}')")
    rq_rate[$client]+="$rate "; rq_cpu[$client]+="$cpu "
    echo "round $round $client $REQUESTS keep-alive GETs: $rate req/s, $cpu us CPU per request"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
for client in sockit curl; do
  echo "median $client: download $(median <<<"${dl_rate[$client]}") MB/s," \
       "$(median <<<"${dl_cpu[$client]}") s CPU/GB; small $(median <<<"${rq_rate[$client]}") req/s," \
       "$(median <<<"${rq_cpu[$client]}") us CPU/req"
done
ratio() { /usr/bin/python3 -c "print(f'{$1/$2:.2f}')"; }
echo "ratio sockit/curl: download throughput $(ratio "$(median <<<"${dl_rate[sockit]}")" "$(median <<<"${dl_rate[curl]}")")x," \
     "CPU per GB $(ratio "$(median <<<"${dl_cpu[sockit]}")" "$(median <<<"${dl_cpu[curl]}")")x," \
     "small requests/s $(ratio "$(median <<<"${rq_rate[sockit]}")" "$(median <<<"${rq_rate[curl]}")")x"

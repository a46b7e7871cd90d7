#!/usr/bin/env bash
# bench/chat_scale.sh (issue 16): chat scaled out against chat on one node.
#   A: CLIENTS clients through HAProxy (mode tcp, leastconn) onto 2 `serve chat --redis` nodes
#      sharing a room in redis-server;
#   B: the same clients straight onto one `serve chat` (no Redis).
# Each client sends RATE lines/s for DURATION s, then SENDERS clients flood for FLOOD s
# (bench/stress/chat_scale.py). Reports delivery latency p50/p99 (all and cross-node), lines/s
# the room delivered during the flood, and the CPU seconds of every server process (utime+stime
# from /proc/PID/stat) over the run. Servers are pinned to SERVER_CPU, the load to LOAD_CPU.
#
#   bench/chat_scale.sh
#   CLIENTS=200 DURATION=5 SOCKIT=build/release/bin/sockit bench/chat_scale.sh
#
# Needs: redis-server, haproxy, taskset, /usr/bin/python3. Exit 2 when one is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
SOCKIT=${SOCKIT:-}
if [[ -z $SOCKIT ]]; then
  SOCKIT=$here/build/release/bin/sockit
  [[ -x $SOCKIT ]] || SOCKIT=$here/build/dev/bin/sockit
fi
CLIENTS=${CLIENTS:-1000}
RATE=${RATE:-1}
DURATION=${DURATION:-10}
SENDERS=${SENDERS:-10}
FLOOD=${FLOOD:-5}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
for tool in "$SOCKIT" "$HAPROXY" redis-server taskset /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "chat_scale.sh: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_s() { awk '{printf "%.2f", ($14+$15)/'"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
wait_port() {
  for _ in $(seq 100); do
    /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "chat_scale.sh: nothing listens on port $1" >&2; exit 1
}
# A node: `serve chat` on a free port, its pid in pids, its port on stdout.
start_node() {  # NAME EXTRA...
  local name=$1; shift
  local port; port=$(free_port)
  taskset -c "$SERVER_CPU" "$SOCKIT" serve chat 127.0.0.1 "$port" --max-conns $((CLIENTS + 50)) \
    "$@" </dev/null >/dev/null 2>"$work/$name.err" &
  echo "$port $!"
}
load() {  # PORT
  taskset -c "$LOAD_CPU" /usr/bin/python3 "$here/bench/stress/chat_scale.py" 127.0.0.1 "$1" \
    "$CLIENTS" "$RATE" "$DURATION" "$SENDERS" "$FLOOD"
}
ulimit -n 20000

echo "# A: $CLIENTS clients -> HAProxy -> 2 nodes -> Redis Stream (server CPU $SERVER_CPU, load CPU $LOAD_CPU)"
rport=$(free_port)
taskset -c "$SERVER_CPU" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!; pids+=($rpid)
wait_port "$rport"
read -r p1 n1pid < <(start_node n1 --redis "127.0.0.1:$rport" --node-id n1)
read -r p2 n2pid < <(start_node n2 --redis "127.0.0.1:$rport" --node-id n2)
pids+=("$n1pid" "$n2pid")
wait_port "$p1"; wait_port "$p2"
front=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  maxconn $((CLIENTS * 2 + 100))
defaults
  mode tcp
  timeout connect 2s
  timeout client 120s
  timeout server 120s
frontend chat
  bind 127.0.0.1:$front
  default_backend nodes
backend nodes
  balance leastconn
  server n1 127.0.0.1:$p1 check inter 2s
  server n2 127.0.0.1:$p2 check inter 2s
CFG
taskset -c "$SERVER_CPU" "$HAPROXY" -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
hpid=$!; pids+=($hpid)
wait_port "$front"
before=("$(cpu_s "$rpid")" "$(cpu_s "$hpid")" "$(cpu_s "$n1pid")" "$(cpu_s "$n2pid")")
load "$front"
after=("$(cpu_s "$rpid")" "$(cpu_s "$hpid")" "$(cpu_s "$n1pid")" "$(cpu_s "$n2pid")")
echo "cpu_s redis=$(echo "${after[0]} - ${before[0]}" | bc) haproxy=$(echo "${after[1]} - ${before[1]}" | bc)" \
  "node1=$(echo "${after[2]} - ${before[2]}" | bc) node2=$(echo "${after[3]} - ${before[3]}" | bc)"
for pid in "$hpid" "$n1pid" "$n2pid" "$rpid"; do kill "$pid"; done
wait "$hpid" "$rpid" 2>/dev/null || true
pids=()

echo "# B: $CLIENTS clients -> one node, no Redis"
read -r p0 n0pid < <(start_node n0)
pids+=("$n0pid")
wait_port "$p0"
b0=$(cpu_s "$n0pid")
load "$p0"
echo "cpu_s node=$(echo "$(cpu_s "$n0pid") - $b0" | bc)"

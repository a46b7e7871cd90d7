#!/usr/bin/env bash
# User-space instructions per request, counted by callgrind: the one server-cost figure on this
# noisy 2-core VM that repeats to within a few percent (hardware counters are not available
# here). Valgrind sees user space only, so this measures exactly the part of a server's cost
# that its design controls; the kernel's loopback TCP work (94-98% of the CPU, see README) is
# left out by construction. The server runs under valgrind (~50x slower), so its batching per
# epoll_wait differs from a native run: compare servers with each other, not with wall time.
#
#   bash bench/instr.sh                       all servers, 50 and 1,000 connections
#   ONLY="sockit-loop asio" CONNS=50 ...      a subset
#   BUILD_DIR=build/perf REQUESTS=20000 ...   (defaults: build/release, 20,000)
#   SETTLE=5 ...                              seconds to wait for closes before each count
#
# Writes bench/results/instructions.md. Every server is started and stopped here, on 127.0.0.1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD_DIR:-build/release}
SOCKIT=$BUILD/bin/sockit
PEERS=$BUILD/bench/peers
REQUESTS=${REQUESTS:-20000}
SETTLE=${SETTLE:-5}  # seconds for the server to finish closing before counters are zeroed/dumped
CONNS=${CONNS:-"50 1000"}
SERVERS=${ONLY:-"sockit-loop asio libuv epoll"}
OUT=${OUT:-bench/results/instructions.md}
command -v valgrind >/dev/null || { echo "bench/instr.sh: valgrind is not installed" >&2; exit 1; }
[ -x "$SOCKIT" ] || { echo "bench/instr.sh: $SOCKIT not built (make bench builds it)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
WORK=$(mktemp -d)
VPID=""
cleanup() {
  [ -n "$VPID" ] && kill "$VPID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

server_cmd() {
  case $1 in
    sockit-loop) echo "$SOCKIT serve echo 127.0.0.1 0 --model loop --max-conns 20000" ;;
    asio) echo "$PEERS/asio_echo 0" ;;
    libuv) echo "$PEERS/uv_echo 0" ;;
    epoll) echo "$PEERS/epoll_echo 0" ;;
    *) echo "bench/instr.sh: unknown server '$1' (sockit-loop asio libuv epoll)" >&2; return 1 ;;
  esac
}

# Prints "responses errors instructions" for one server and connection count.
measure() {
  local name=$1 conns=$2 out=$WORK/$1-$2 port="" file
  # shellcheck disable=SC2046
  valgrind --tool=callgrind --callgrind-out-file="$out.cg" $(server_cmd "$name") >"$out.log" 2>&1 &
  VPID=$!
  for _ in $(seq 150); do  # valgrind needs a few seconds to start: at most 30 s
    port=$(grep -oE '^[0-9]+$|127\.0\.0\.1:[0-9]+' "$out.log" | sed 's/.*://' | head -1 || true)
    [ -n "$port" ] && break
    sleep 0.2
  done
  [ -n "$port" ] || { echo "bench/instr.sh: $name did not start: $(head -c 300 "$out.log")" >&2; return 1; }
  # Warm up (connections, buffers, first-touch), then count only the measured requests.
  timeout 120 "$SOCKIT" bench tcp 127.0.0.1 "$port" --conns "$conns" --size 64 \
    --requests 2000 --connect-timeout 30 >/dev/null 2>&1 || true
  # Let the server finish closing the warm-up's connections before zeroing, and the measured
  # run's before dumping: otherwise how many closes land in the window depends on timing, and
  # the 1,000-connection row swung by 10% between identical runs.
  sleep "$SETTLE"
  callgrind_control -z "$VPID" >/dev/null 2>&1
  local json
  json=$(timeout 300 "$SOCKIT" bench tcp 127.0.0.1 "$port" --conns "$conns" --size 64 \
    --requests "$REQUESTS" --connect-timeout 30 --json 2>/dev/null || true)
  sleep "$SETTLE"
  callgrind_control -d "$VPID" >/dev/null 2>&1
  kill "$VPID" 2>/dev/null || true
  wait "$VPID" 2>/dev/null || true
  VPID=""
  file=$(ls -t "$out".cg.* 2>/dev/null | head -1 || true)
  [ -n "$file" ] && [ -n "$json" ] || { echo "bench/instr.sh: $name/$conns: no result" >&2; return 1; }
  python3 - "$json" "$file" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
ir = next(int(l.split()[1]) for l in open(sys.argv[2]) if l.startswith(("summary:", "totals:")))
print(j["responses"], j["errors"]["total"], ir)
PY
}

{
  echo "# User-space instructions per request (callgrind)"
  echo
  echo "- commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown); $REQUESTS requests of 64 B per row, after 2,000 unmeasured, ${SETTLE} s settle before zeroing and before dumping"
  echo "- command: \`bash bench/instr.sh\` (BUILD_DIR=$BUILD)"
  echo
  echo "| server | connections | responses | errors | instructions per request |"
  echo "|---|---|---|---|---|"
} >"$WORK/table.md"
for conns in $CONNS; do
  for s in $SERVERS; do
    read -r resp errs ir < <(measure "$s" "$conns") || continue
    [ "${resp:-0}" -gt 0 ] || { echo "bench/instr.sh: $s/$conns: no responses" >&2; continue; }
    printf '[instr] %s, %s connections: %s responses, %s errors, %s instructions per request\n' \
      "$s" "$conns" "$resp" "$errs" "$((ir / resp))" >&2
    echo "| $s | $conns | $resp | $errs | $((ir / resp)) |" >>"$WORK/table.md"
  done
done
mkdir -p "$(dirname "$OUT")"
cp "$WORK/table.md" "$OUT"
cat "$OUT"

#!/usr/bin/env bash
# bench/smtp.sh: messages/s accepted by `sockit serve smtp` and by aiosmtpd (Debian's
# python3-aiosmtpd, `-n`, handler Sink: it accepts and drops, like sockit with no --maildir),
# driven by the same client: bench/smtp_load.cpp (compiled here with c++ -O2), one epoll loop
# sending 1 KiB messages over CONNS connections at once, every reply code checked. The server
# is pinned to SERVER_CPU, the client to LOAD_CPU.
#
# Rows (each ROUNDS times, interleaved, medians reported):
#   aiosmtpd           lockstep: one command, one reply (aiosmtpd does not offer PIPELINING)
#   aiosmtpd-pipe      pipelined anyway (RFC 2920 says a client must not; aiosmtpd reads line by
#                      line, so it copes): what aiosmtpd does when its client costs it nothing
#   sockit-lockstep    lockstep, like the aiosmtpd row: the same dialogue, message for message
#   sockit             pipelined, as sockit offers PIPELINING: one round trip per message
#   sockit-maildir     the same with --maildir (each message written to tmp/, renamed into new/)
# Columns: messages/s; server CPU per message (utime+stime deltas of /proc/PID/stat over the run,
# 10 ms ticks); client CPU per message (the driver's own getrusage).
#
#   bench/smtp.sh                      # SOCKIT=build/release/bin/sockit if built, else dev
#   SOCKIT=build/dev/bin/sockit MESSAGES=50000 AIO_MESSAGES=6000 ROUNDS=5 bench/smtp.sh
#
# Needs: taskset, c++, /usr/bin/python3 with aiosmtpd. Exit 2 when one is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
SOCKIT=${SOCKIT:-}
if [[ -z $SOCKIT ]]; then
  SOCKIT=$here/build/release/bin/sockit
  [[ -x $SOCKIT ]] || SOCKIT=$here/build/dev/bin/sockit
fi
MESSAGES=${MESSAGES:-60000}       # per sockit run
AIO_MESSAGES=${AIO_MESSAGES:-6000} # per aiosmtpd run (it is ~10x slower: similar run times)
CONNS=${CONNS:-16}
ROUNDS=${ROUNDS:-5}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PY=/usr/bin/python3  # only Debian's interpreter sees python3-aiosmtpd
CXX=${CXX:-c++}

for tool in "$SOCKIT" taskset "$PY" "$CXX"; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x $tool ]]; then
    echo "bench/smtp.sh: $tool not found" >&2
    exit 2
  fi
done
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
  echo "bench/smtp.sh: aiosmtpd not importable by $PY (apt-get install python3-aiosmtpd)" >&2
  exit 2
fi

tmp=$(mktemp -d /tmp/sockit-bench-smtp.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$CXX" -O2 -std=c++20 -o "$tmp/smtp_load" "$here/bench/smtp_load.cpp"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

wait_port() {
  for _ in $(seq 100); do
    "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),timeout=0.2).close()" \
      2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench/smtp.sh: server on port $1 never answered" >&2
  exit 1
}

# run NAME MODE COUNT COMMAND...: starts the server (pinned), drives it, prints one row.
run() {
  local name=$1 mode=$2 count=$3 port
  shift 3
  port=$(free_port)
  taskset -c "$SERVER_CPU" "${@//PORT/$port}" >/dev/null 2>"$tmp/$name.err" &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  sleep 0.2  # let a start-up (Python's imports) finish before counting CPU
  local before after out
  before=$(ticks "$pid")
  out=$(taskset -c "$LOAD_CPU" "$tmp/smtp_load" "$port" "$count" "$CONNS" "$mode" 1024 120)
  after=$(ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local rate client_us
  read -r _ _ rate client_us _ <<<"$out"
  local server_us
  server_us=$(awk -v d=$((after - before)) -v hz="$hz" -v n="$count" \
    'BEGIN{printf "%.1f", d / hz / n * 1e6}')
  printf '%-16s %-9s %8s msg/s  server %6s us/msg  client %6s us/msg\n' "$name" "$mode" \
    "$rate" "$server_us" "$client_us"
  echo "$name $rate $server_us $client_us" >>"$tmp/rows"
}

echo "bench/smtp.sh: 1 KiB messages over $CONNS connections ($MESSAGES per sockit run," \
  "$AIO_MESSAGES per aiosmtpd run), $ROUNDS rounds; server on CPU $SERVER_CPU, load on CPU $LOAD_CPU"
aio=("$PY" -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l 127.0.0.1:PORT)
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  run aiosmtpd lockstep "$AIO_MESSAGES" "${aio[@]}"
  run sockit pipeline "$MESSAGES" "$SOCKIT" serve smtp 127.0.0.1 PORT --quiet
  run aiosmtpd-pipe pipeline "$AIO_MESSAGES" "${aio[@]}"
  run sockit-lockstep lockstep "$MESSAGES" "$SOCKIT" serve smtp 127.0.0.1 PORT --quiet
  rm -rf "$tmp/maildir"
  run sockit-maildir pipeline "$MESSAGES" "$SOCKIT" serve smtp 127.0.0.1 PORT --quiet \
    --maildir "$tmp/maildir"
done
# median NAME COLUMN (2 msg/s, 3 server us, 4 client us)
median() {
  grep "^$1 " "$tmp/rows" | awk -v c="$2" '{print $c}' | sort -g |
    awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
echo "medians:"
for name in aiosmtpd aiosmtpd-pipe sockit-lockstep sockit sockit-maildir; do
  printf '%-16s %8s msg/s  server %6s us/msg  client %6s us/msg\n' "$name" \
    "$(median "$name" 2)" "$(median "$name" 3)" "$(median "$name" 4)"
done
awk -v a="$(median aiosmtpd 2)" -v ap="$(median aiosmtpd-pipe 2)" -v s="$(median sockit 2)" \
  -v l="$(median sockit-lockstep 2)" -v m="$(median sockit-maildir 2)" \
  -v as="$(median aiosmtpd 3)" -v ss="$(median sockit 3)" 'BEGIN{
  printf "sockit (pipelined) / aiosmtpd (lockstep): %.1fx messages/s, %.1fx less server CPU per message\n", s / a, as / ss
  printf "sockit / aiosmtpd, both pipelined: %.1fx; both lockstep: %.1fx; sockit --maildir / aiosmtpd: %.1fx\n", s / ap, l / a, m / a
}'

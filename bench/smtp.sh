#!/usr/bin/env bash
# bench/smtp.sh: messages/s accepted by `sockit serve smtp` and by aiosmtpd (Debian's
# python3-aiosmtpd, `-n`, handler Sink: it accepts and drops, like sockit with no --maildir),
# driven by the same client: a Python smtplib loop sending MESSAGES messages of 1 KiB over one
# connection (MAIL, RCPT, DATA per message; smtplib does not pipeline). The server is pinned to
# SERVER_CPU and the client to LOAD_CPU. Rows: aiosmtpd, sockit (drop), sockit --maildir
# (each message written to tmp/ and renamed into new/). Reports messages/s, server CPU per
# message (utime+stime deltas from /proc/PID/stat) and client CPU per message, ROUNDS
# interleaved rounds, and the ratio of the medians.
#
#   bench/smtp.sh                      # SOCKIT=build/release/bin/sockit if built, else dev
#   SOCKIT=build/dev/bin/sockit MESSAGES=5000 ROUNDS=3 bench/smtp.sh
#
# Needs: taskset, /usr/bin/python3 with aiosmtpd. Exit 2 when one is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
SOCKIT=${SOCKIT:-}
if [[ -z $SOCKIT ]]; then
  SOCKIT=$here/build/release/bin/sockit
  [[ -x $SOCKIT ]] || SOCKIT=$here/build/dev/bin/sockit
fi
MESSAGES=${MESSAGES:-5000}
ROUNDS=${ROUNDS:-3}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PY=/usr/bin/python3  # only Debian's interpreter sees python3-aiosmtpd

for tool in "$SOCKIT" taskset "$PY"; do
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

cat >"$tmp/client.py" <<'PY'
import resource, smtplib, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
body = b"Subject: bench\r\n\r\n" + (b"x" * 62 + b"\r\n") * 15
body += b"y" * (1024 - len(body) - 2) + b"\r\n"
assert len(body) == 1024
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("bench.client")
s.sendmail("a@x", ["b@y"], body)  # warm-up
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
for _ in range(count):
    s.sendmail("a@x", ["b@y"], body)
t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
s.quit()
cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
print(f"{count / (t1 - t0):.0f} {cpu / count * 1e6:.1f}")
PY

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

# run NAME COMMAND...: starts the server (pinned), drives it, prints one row.
run() {
  local name=$1 port
  shift
  port=$(free_port)
  taskset -c "$SERVER_CPU" "${@//PORT/$port}" >/dev/null 2>"$tmp/$name.err" &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  local before after out
  before=$(ticks "$pid")
  out=$(taskset -c "$LOAD_CPU" "$PY" "$tmp/client.py" "$port" "$MESSAGES")
  after=$(ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local rate=${out% *} client_us=${out#* }
  local server_us
  server_us=$(awk -v d=$((after - before)) -v hz="$hz" -v n="$MESSAGES" \
    'BEGIN{printf "%.1f", d / hz / n * 1e6}')
  printf '%-16s %10s msg/s  server %7s us/msg  client %7s us/msg\n' "$name" "$rate" \
    "$server_us" "$client_us"
  echo "$name $rate" >>"$tmp/rates"
}

echo "bench/smtp.sh: $MESSAGES messages of 1 KiB per run over one connection, $ROUNDS rounds;" \
  "server on CPU $SERVER_CPU, smtplib client on CPU $LOAD_CPU"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  run aiosmtpd "$PY" -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l 127.0.0.1:PORT
  run sockit "$SOCKIT" serve smtp 127.0.0.1 PORT --quiet
  rm -rf "$tmp/maildir"
  run sockit-maildir "$SOCKIT" serve smtp 127.0.0.1 PORT --quiet --maildir "$tmp/maildir"
done
median() { grep "^$1 " "$tmp/rates" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
a=$(median aiosmtpd)
s=$(median sockit)
m=$(median sockit-maildir)
awk -v a="$a" -v s="$s" -v m="$m" 'BEGIN{printf "median msg/s: aiosmtpd %d, sockit %d (%.1fx), sockit --maildir %d (%.1fx)\n", a, s, s / a, m, m / a}'

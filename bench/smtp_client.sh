#!/usr/bin/env bash
# `sockit mail` as a client (issue 14): messages per second and client CPU per message, one
# `sockit mail` process per 1 KiB message (connect, EHLO, MAIL, RCPT, DATA, QUIT), sent one after
# another to aiosmtpd with its Sink handler (accepts and drops). Client CPU is the children's
# user + system time as bash's `times` reports it, divided by the messages; the server is not
# counted. aiosmtpd is the slow side here: the rate says more about it than about sockit.
#
#   bench/smtp_client.sh [MESSAGES]         (default 200)
#   SOCKIT=build/release/bin/sockit         the binary measured (default: the release build)
set -euo pipefail

count=${1:-200}
sockit=${SOCKIT:-build/release/bin/sockit}
dir=$(mktemp -d /tmp/sockit-smtp-bench.XXXXXX)
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

[[ -x "$sockit" ]] || { echo "no sockit binary at $sockit (cmake --build --preset release)" >&2; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink &
server_pid=$!
for _ in $(seq 50); do
  if /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then break; fi
  sleep 0.1
done

{ printf 'Subject: bench\r\n\r\n'; head -c 1000 /dev/zero | tr '\0' 'x' | fold -w 72; } > "$dir/msg"
start=$(date +%s.%N)
for _ in $(seq "$count"); do
  "$sockit" mail "smtp://127.0.0.1:$port" --mail-from a@example.org --mail-rcpt b@example.org \
    -T "$dir/msg"
done
end=$(date +%s.%N)
# `times`' second line: the children's user and system time, as "XmY.YYYs".
times > "$dir/times"  # not in a pipe: a subshell's `times` would not see these children
children=$(sed -n 2p "$dir/times")
cpu=$(awk -v t="$children" 'BEGIN {
  n = split(t, f, " "); s = 0
  for (i = 1; i <= n; i++) { split(f[i], p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] }
  print s }')
awk -v n="$count" -v a="$start" -v b="$end" -v cpu="$cpu" 'BEGIN {
  printf "sockit mail -> aiosmtpd: %d messages in %.2f s: %.0f messages/s, client CPU %.0f us/message\n",
    n, b - a, n / (b - a), cpu * 1e6 / n }'

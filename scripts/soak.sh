#!/usr/bin/env bash
# Soak test (`make soak`, not part of every CI run): SOAK_CONNS concurrent echo connections
# (default 10,000) against `sockit serve echo` for SOAK_SECONDS (default 600), driven by
# `sockit bench`, which stamps and verifies every request. Passes when:
#   - every connection came up and no request was lost, corrupted, reset or timed out;
#   - the server's RSS grew less than SOAK_RSS_GROWTH_PCT (default 5) % after the warm-up;
#   - the server's descriptor count returns to its pre-load baseline after the clients leave.
# Prints the figures as it goes and a summary line at the end; exits non-zero on failure.
#
# env: SOAK_SECONDS, SOAK_CONNS, SOAK_MODEL (loop|reactors|pool|thread, default reactors),
#      SOAK_PIPELINE (requests in flight per connection, default 1), SOAK_SIZE (bytes, 64),
#      SOAK_WARMUP (seconds before the RSS reference is taken, default 10% of the run, >= 10),
#      SOAK_BUILD_DIR (default build/release; an existing build with bin/sockit is reused).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SOAK_SECONDS:-600}
conns=${SOAK_CONNS:-10000}
model=${SOAK_MODEL:-reactors}
pipeline=${SOAK_PIPELINE:-1}
size=${SOAK_SIZE:-64}
warmup=${SOAK_WARMUP:-$(( seconds / 10 > 10 ? seconds / 10 : 10 ))}
growth_limit=${SOAK_RSS_GROWTH_PCT:-5}
build=${SOAK_BUILD_DIR:-build/release}
bin="$build/bin/sockit"

if [ ! -x "$bin" ] || [ -z "${SOAK_BUILD_DIR:-}" ]; then
  cmake --preset release -B "$build" >/dev/null
  cmake --build "$build" --target sockit_cli -j "${JOBS:-2}"
fi

# Each side needs one descriptor per connection plus a few: raise the soft limit as far as the
# hard limit allows (20,000 on these machines), and say so if that is not enough.
hard=$(ulimit -Hn)
want=$(( conns + 1000 ))
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  echo "soak: the descriptor hard limit $hard is below the $want that $conns connections need" >&2
  exit 1
fi
ulimit -n "$want"

# One source address gives 28,000 ephemeral ports (net.ipv4.ip_local_port_range) to one server
# port: enough for 10,000 connections, so no extra 127.0.0.x sources are needed.
ports=$(awk '{print $2 - $1 + 1}' /proc/sys/net/ipv4/ip_local_port_range)
if [ "$ports" -lt "$conns" ]; then
  echo "soak: only $ports ephemeral ports for $conns connections" >&2
  exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sockit-soak.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

"$bin" serve echo 127.0.0.1 0 --model "$model" --max-conns $(( conns + 100 )) \
  2>"$scratch/server.err" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^sockit: serving .* on [0-9.]*:\([0-9]*\).*/\1/p' "$scratch/server.err" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "soak: the server did not start:" >&2
  cat "$scratch/server.err" >&2
  exit 1
fi

fds() { find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
base_fds=$(fds)
echo "soak: server pid $server_pid on 127.0.0.1:$port ($model), $base_fds descriptors, RSS $(rss) KiB"
echo "soak: $conns connections x ${seconds}s, pipeline $pipeline, $size-byte requests; warm-up ${warmup}s"

"$bin" bench tcp 127.0.0.1 "$port" --conns "$conns" --duration "$seconds" --warmup "$warmup" \
  --pipeline "$pipeline" --size "$size" --connect-timeout 60 --json >"$scratch/bench.json" \
  2>"$scratch/bench.err" &
bench_pid=$!

# RSS and descriptors every 5 s; the reference RSS is the first sample after the warm-up.
start=$(date +%s)
ref_rss=""
max_rss=0
peak_fds=0
while kill -0 "$bench_pid" 2>/dev/null; do
  sleep 5
  kill -0 "$server_pid" 2>/dev/null || { echo "soak: the server died" >&2; cat "$scratch/server.err" >&2; exit 1; }
  now=$(( $(date +%s) - start ))
  r=$(rss)
  f=$(fds)
  [ "$f" -gt "$peak_fds" ] && peak_fds=$f
  if [ "$now" -ge "$warmup" ]; then
    [ -z "$ref_rss" ] && ref_rss=$r
    [ "$r" -gt "$max_rss" ] && max_rss=$r
  fi
  echo "soak: t=${now}s rss=${r}KiB fds=$f"
done
bench_rc=0
wait "$bench_pid" || bench_rc=$?
end_rss=$(rss)

failed=0
if [ "$bench_rc" -ne 0 ]; then
  echo "soak: sockit bench failed (exit $bench_rc):" >&2
  cat "$scratch/bench.err" >&2
  failed=1
fi

# The bench report: every connection up, every request answered and verified, no errors.
if [ "$failed" -eq 0 ]; then
  python3 - "$scratch/bench.json" "$conns" <<'EOF' || failed=1
import json, sys
r = json.load(open(sys.argv[1]))
conns = int(sys.argv[2])
e = r["errors"]
print(f"soak: bench: {r['connected_count']}/{conns} connected, {r['requests']} requests, "
      f"{r['responses']} responses, {r['responses_verified']} verified, "
      f"{r['rps']:.0f} req/s, p99 {r['latency_ms']['p99']} ms, errors {e}")
ok = (r["connected_count"] == conns and e["total"] == 0 and r["requests"] > 0
      and r["responses"] == r["requests"] and r["responses_verified"] == r["responses"])
if not ok:
    print("soak: FAILED: lost, corrupted or refused traffic", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
fi

# RSS growth after warm-up.
if [ -z "$ref_rss" ]; then
  ref_rss=$end_rss
  max_rss=$end_rss
fi
[ "$end_rss" -gt "$max_rss" ] && max_rss=$end_rss
growth=$(python3 -c "print(f'{($max_rss - $ref_rss) * 100.0 / $ref_rss:.2f}')")
echo "soak: RSS after warm-up ${ref_rss} KiB, peak ${max_rss} KiB, at end ${end_rss} KiB: growth ${growth}%"
if python3 -c "import sys; sys.exit(0 if $growth < $growth_limit else 1)"; then :; else
  echo "soak: FAILED: RSS grew ${growth}% (limit ${growth_limit}%)" >&2
  failed=1
fi

# Descriptors back to the baseline once the clients are gone (connections close with a short
# linger, so allow a few seconds).
end_fds=$(fds)
for _ in $(seq 100); do
  end_fds=$(fds)
  [ "$end_fds" -eq "$base_fds" ] && break
  sleep 0.1
done
echo "soak: descriptors: baseline $base_fds, peak $peak_fds, after $end_fds"
if [ "$end_fds" -ne "$base_fds" ]; then
  echo "soak: FAILED: descriptors did not return to the baseline" >&2
  failed=1
fi

kill -TERM "$server_pid"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=""
echo "soak: server exited with $server_rc after SIGTERM"

if [ "$failed" -ne 0 ]; then
  echo "soak: FAILED" >&2
  exit 1
fi
echo "soak: passed: $conns connections for ${seconds}s, no loss, RSS growth ${growth}%, descriptors back to $base_fds"

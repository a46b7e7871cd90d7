#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, -fsanitize=fuzzer,address,undefined)
# and runs every fuzz/fuzz_*.cpp target for SECONDS with its seed corpus from fuzz/corpus/.
# The corpus is copied to a scratch directory first, so a run never modifies the repository.
# Exits non-zero if any target crashes, leaks, times out or breaks an invariant; the input
# that did it is kept in $FUZZ_BUILD_DIR/artifacts/ for reproduction (`<binary> <file>`).
#
# usage: scripts/fuzz.sh [SECONDS=60]
# env:   FUZZ_BUILD_DIR (default build/fuzz), FUZZ_TARGETS="ipv4 cidr" (default: all),
#        FUZZ_PARALLEL=N (targets run at once, default: the number of cores),
#        FUZZ_RUNS=N (also stop each target after N executions: the long 10-million run is
#        FUZZ_RUNS=10000000 scripts/fuzz.sh 3600), JOBS (build parallelism, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-build/fuzz}

# The fuzz preset uses clang 16 (clang 14 cannot destroy std::expected<std::string, E>; see
# docs/decisions.md); scripts/bootstrap.sh installs clang-16 and libclang-rt-16-dev.
if ! command -v clang++-16 >/dev/null; then
  echo "fuzz: clang++-16 is missing: run 'make setup' (scripts/bootstrap.sh)" >&2
  exit 1
fi
# Readable stack traces in crash reports (clang-16 ships without its own llvm-symbolizer).
for s in /usr/lib/llvm-16/bin/llvm-symbolizer /usr/bin/llvm-symbolizer; do
  if [ -x "$s" ]; then
    export ASAN_SYMBOLIZER_PATH="$s"
    break
  fi
done

cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build" --target sockit_fuzzers -j "${JOBS:-2}"

targets=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
  for t in $FUZZ_TARGETS; do targets+=("$build/fuzz/fuzz_$t"); done
else
  for src in fuzz/fuzz_*.cpp; do
    t=${src#fuzz/}
    targets+=("$build/fuzz/${t%.cpp}")
  done
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sockit-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
artifacts="$build/artifacts"
mkdir -p "$artifacts"

run_opts=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
  -malloc_limit_mb=512)
[ -n "${FUZZ_RUNS:-}" ] && run_opts+=(-runs="$FUZZ_RUNS")

# One target: runs it and leaves "<execs> <seconds> <exit code>" in $scratch/<name>.result.
run_target() {
  local bin=$1 name=${1##*/fuzz_}
  local corpus="$scratch/corpus-$name" log="$scratch/$name.log" start rc=0 execs
  mkdir -p "$corpus"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$corpus/"
  start=$(date +%s)
  "$bin" "${run_opts[@]}" -artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "${execs:-0} $(( $(date +%s) - start )) $rc" >"$scratch/$name.result"
}

# Targets run side by side, one per core (FUZZ_PARALLEL), so CI's bounded run takes
# SECONDS x targets / cores instead of SECONDS x targets.
parallel=${FUZZ_PARALLEL:-$(nproc)}
failed=0
for bin in "${targets[@]}"; do
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin was not built" >&2
    failed=1
    continue
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  run_target "$bin" &
done
wait

printf '%-22s %14s %8s %12s  %s\n' target executions seconds exec/s result
for bin in "${targets[@]}"; do
  name=${bin##*/fuzz_}
  [ -f "$scratch/$name.result" ] || continue
  read -r execs elapsed rc <"$scratch/$name.result"
  rate=$(( execs / (elapsed > 0 ? elapsed : 1) ))
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc)"
    failed=1
  fi
  printf '%-22s %14s %8s %12s  %s\n' "fuzz_$name" "$execs" "$elapsed" "$rate" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|#[0-9]+ 0x|Test unit written|runtime error' "$scratch/$name.log" |
      head -30 >&2 || tail -30 "$scratch/$name.log" >&2
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED; reproduce with the inputs in $artifacts" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without a crash"

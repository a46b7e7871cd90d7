#!/usr/bin/env bash
# FTP download and upload of one large file over loopback from vsftpd (issue 15): `sockit ftp`
# vs curl vs lftp in the same run. vsftpd is pinned to CPU 0, each client to CPU 1; downloads
# go to /dev/null, uploads come from a file in the page cache (vsftpd writes them to disk, the
# same for every client). Client CPU is user + system time from getrusage of the child.
# The clients take turns run by run (on 2 shared cores, noise then hits all of them alike), and
# each line is the median of its runs.
#
#   bench/ftp.sh [MiB] [RUNS]        (default 1024 MiB, 5 runs per client, medians)
#   SOCKIT=build/release/bin/sockit  the binary measured (default: the release build)
#   SOCKIT_BASELINE=path             also measure this sockit (e.g. a build before a change)
#   BENCH_DIR=/dev/shm               where the served tree and the files go (3 x MiB of space)
#
# Prints one line per client and direction: seconds, MB/s (10^6 bytes) with the slowest and
# fastest run, client CPU seconds per GB (10^9 bytes), and vsftpd's CPU seconds per GB (its
# session processes, as the listener reaps them) and how busy that kept its core over the
# client's run (CPU over wall time), all medians; then sockit's time against each peer's, run by
# run. vsftpd is the bottleneck of an upload on loopback (busy near 100%): how a client sends
# changes what the server spends per byte (src/ftp/upload.cpp).
set -euo pipefail

mib=${1:-1024}
runs=${2:-5}
sockit=${SOCKIT:-build/release/bin/sockit}
# tmpfs by default: on a disk, vsftpd's close() of the uploaded file waits for ext4 to flush it
# (0.1-0.3 s per GiB, the replace-by-truncate heuristic), which the client cannot change.
tmp=${BENCH_DIR:-/dev/shm}
[[ -d "$tmp" && -w "$tmp" ]] || tmp=/tmp
dir=$(mktemp -d "$tmp/sockit-ftp-bench.XXXXXX")
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

[[ -x "$sockit" ]] || { echo "no sockit binary at $sockit (cmake --build --preset release)" >&2; exit 1; }

mkdir -p "$dir/root/pub" "$dir/root/up"
chmod 777 "$dir/root/up"
head -c $((mib * 1024 * 1024)) /dev/urandom > "$dir/root/pub/big.bin"
cp "$dir/root/pub/big.bin" "$dir/src.bin"
bytes=$((mib * 1024 * 1024))

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/vsftpd.conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$port
background=NO
run_as_launching_user=YES
ftp_username=nobody
anonymous_enable=YES
anon_root=$dir/root
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_other_write_enable=YES
seccomp_sandbox=NO
CONF
taskset -c 0 vsftpd "$dir/vsftpd.conf" < /dev/null &
server_pid=$!
sleep 0.5

url=ftp://127.0.0.1:$port

# timed CMD...: one run on CPU 1; prints wall seconds, CPU seconds of the child, exit code.
timed() {
  /usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.run(["taskset", "-c", "1"] + sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.4f} {ru.ru_utime + ru.ru_stime:.4f} {rc}")
PY
}

labels=()
declare -A cmd walls cpus servers
add() {
  local label=$1; shift
  labels+=("$label")
  cmd[$label]=$(printf '%q ' "$@")
}

add "sockit download" "$sockit" ftp --no-progress -o /dev/null "$url/pub/big.bin"
[[ -n "${SOCKIT_BASELINE:-}" ]] &&
  add "baseline download" "$SOCKIT_BASELINE" ftp --no-progress -o /dev/null "$url/pub/big.bin"
add "curl download" curl -s -o /dev/null "$url/pub/big.bin"
add "lftp download" lftp -e "set xfer:clobber on; get pub/big.bin -o /dev/null; quit" "$url"
add "sockit upload" "$sockit" ftp --no-progress -T "$dir/src.bin" "$url/up/big.bin"
# The other way of sending a plain upload (sendfile, not 256 KiB chunks read and sent).
add "sockit sendfile upload" "$sockit" ftp --no-progress --sendfile -T "$dir/src.bin" "$url/up/big.bin"
[[ -n "${SOCKIT_BASELINE:-}" ]] &&
  add "baseline upload" "$SOCKIT_BASELINE" ftp --no-progress -T "$dir/src.bin" "$url/up/big.bin"
add "curl upload" curl -s -T "$dir/src.bin" "$url/up/big.bin"
add "lftp upload" lftp -e "put $dir/src.bin -o up/big.bin; quit" "$url"

# CPU seconds of the listener's reaped children (its sessions), once no session is running.
server_cpu() {
  for _ in $(seq 100); do
    [[ -z $(cat "/proc/$server_pid/task/$server_pid/children" 2>/dev/null) ]] && break
    sleep 0.02
  done
  awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print ($14 + $15) / hz}' "/proc/$server_pid/stat"
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null), $mib MiB, median of $runs interleaved runs"
# Each run takes the clients in a new order (a shuffle seeded by the run's number, so the same
# on every machine): what ran just before a client matters. In fixed order the upload right
# after the downloads ran 10% slower than the same binary two places later, and cost vsftpd 12%
# more CPU per GB, in two runs of 15.
n=${#labels[@]}
for run in $(seq "$runs"); do
  order=$(awk -v n="$n" -v seed="$run" 'BEGIN{srand(seed); for (i = 0; i < n; i++) a[i] = i;
    for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = a[i]; a[i] = a[j]; a[j] = t }
    for (i = 0; i < n; i++) printf "%d ", a[i]}')
  for k in $order; do
    label=${labels[$k]}
    rm -f "$dir/root/up/big.bin"
    before=$(server_cpu)
    read -r wall cpu rc < <(eval "timed ${cmd[$label]}")
    after=$(server_cpu)
    [[ "$rc" == 0 ]] || { echo "$label: exit $rc" >&2; exit 1; }
    if [[ "$label" == *upload ]]; then
      [[ $(stat -c %s "$dir/root/up/big.bin") == "$bytes" ]] || { echo "$label: short upload" >&2; exit 1; }
    fi
    walls[$label]+="$wall "
    cpus[$label]+="$cpu "
    servers[$label]+="$(awk -v a="$after" -v b="$before" 'BEGIN{print a - b}') "
  done
done
for label in "${labels[@]}"; do
  w=$(echo "${walls[$label]}" | median)
  c=$(echo "${cpus[$label]}" | median)
  sv=$(echo "${servers[$label]}" | median)
  read -ra ws <<< "${walls[$label]}"
  read -ra ss <<< "${servers[$label]}"
  busy=$(for i in "${!ws[@]}"; do awk -v s="${ss[$i]}" -v w="${ws[$i]}" 'BEGIN{print s / w}'; done | median)
  slow=$(echo "${walls[$label]}" | tr ' ' '\n' | sed '/^$/d' | sort -g | tail -1)
  fast=$(echo "${walls[$label]}" | tr ' ' '\n' | sed '/^$/d' | sort -g | head -1)
  awk -v l="$label" -v w="$w" -v c="$c" -v sv="$sv" -v b="$bytes" -v s="$slow" -v f="$fast" -v u="$busy" \
    'BEGIN{printf "%-22s %8.3f s %7.1f MB/s [%6.1f-%6.1f] %6.3f CPU s/GB %6.3f vsftpd s/GB %4.0f%% busy\n",
           l, w, b/w/1e6, b/s/1e6, b/f/1e6, c/(b/1e9), sv/(b/1e9), 100*u}'
done
# The paired comparison: in each run, a peer's time over sockit's (above 1: sockit was the
# faster in that run); the median and the range over the runs.
for way in download upload; do
  read -ra ours <<< "${walls[sockit $way]}"
  for peer in curl lftp; do
    read -ra theirs <<< "${walls[$peer $way]}"
    ratios=""
    for i in "${!ours[@]}"; do
      ratios+="$(awk -v s="${ours[$i]}" -v p="${theirs[$i]}" 'BEGIN{printf "%.3f", p / s}') "
    done
    r=$(echo "$ratios" | median)
    lo=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -g | head -1)
    hi=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -g | tail -1)
    printf "sockit %-8s vs %-4s run by run: %.3fx median [%.3f-%.3f]\n" "$way" "$peer" "$r" "$lo" "$hi"
  done
done

#!/usr/bin/env bash
# Installs every Debian package that sockit's build, tests and benchmarks need.
# Non-interactive and idempotent: when everything is present it only checks and exits.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config make git
  clang clang-format libclang-rt-14-dev clang-16 libclang-rt-16-dev
  # libraries
  libfmt-dev libcli11-dev liburing-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # test peers
  ncat socat netcat-openbsd python3 curl procps util-linux iproute2
  # benchmark peers and charts
  libasio-dev libuv1-dev redis-server redis-tools iperf3 gnuplot-nox
  # HTTP and TLS benchmark peers (bench/http.sh, bench/tls_handshake.sh): started by the
  # scripts with their own temporary configs, never as services
  nginx-light libnginx-mod-stream wrk
  # protocol peers (tests of sockit http|mail|ftp and chat --redis start them with temporary
  # configs as unprivileged foreground processes) and the libraries they need
  vsftpd haproxy lftp python3-aiosmtpd python3-pyftpdlib nghttp2-client h2o time
  libhiredis-dev zlib1g-dev
  # the ftp upload test checks with strace that sendfile(2) carries the file
  strace
  # instruction counts (bench/instr.sh)
  valgrind
  # `make deb`: dpkg-deb and dpkg-shlibdeps (Depends), file (CPack's ELF check), gzip (man
  # page), groff-base (the .deb test checks the man page with groff)
  dpkg-dev file gzip groff-base
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts redis-server as a service on install; the tests and benchmarks start their own.
if command -v systemctl >/dev/null 2>&1; then
  for svc in redis-server vsftpd haproxy nginx h2o; do
    "${sudo_cmd[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
fi
echo "bootstrap: done"

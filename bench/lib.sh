# Shared by the bench scripts: `source "$(dirname "$0")/lib.sh"`. Everything stays on 127.0.0.1.

# A TCP port free on 127.0.0.1 right now.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [TENTHS=50]: until something accepts on 127.0.0.1:PORT (default up to 5 s);
# says so and returns 1 when nothing does.
wait_port() {
  for _ in $(seq "${2:-50}"); do
    if /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2).close()" \
      2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$(basename "$0"): nothing listens on port $1" >&2
  return 1
}

# cpu_ticks PID...: user + system CPU of these processes, in clock ticks (getconf CLK_TCK).
cpu_ticks() {
  local sum=0 p
  for p in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$sum"
}

# rotated N WORD...: the words, one per line, starting N places along (and wrapping). Round N
# of an interleaved benchmark takes its contestants in this order, so that each takes every
# place in turn (in bench/ftp.sh a client's place in a fixed order moved its result by 10%).
# A rotation keeps who follows whom; bench/ftp.sh shuffles, which changes that too.
rotated() {
  local n=$1 k
  shift
  local -a words=("$@")
  for ((k = 0; k < ${#words[@]}; k++)); do
    printf '%s\n' "${words[$(((n + k) % ${#words[@]}))]}"
  done
}

# tls_cert DIR [ec|rsa]: a throwaway self-signed certificate for localhost and 127.0.0.1 in
# DIR/cert.pem and DIR/key.pem (EC P-256 by default, or RSA-2048).
tls_cert() {
  local newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  [[ "${2:-ec}" == rsa ]] && newkey=(-newkey rsa:2048)
  openssl req -x509 "${newkey[@]}" -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# nginx_tls_conf DIR PORT: DIR/nginx.conf for one foreground nginx process (no master) that
# answers `return 200 "x"` over TLS with DIR/cert.pem on 127.0.0.1:PORT. Start it with
# `nginx -c DIR/nginx.conf -p DIR -e DIR/nginx.err`.
nginx_tls_conf() {
  cat >"$1/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $1; proxy_temp_path $1; fastcgi_temp_path $1;
  uwsgi_temp_path $1; scgi_temp_path $1;
  server {
    listen 127.0.0.1:$2 ssl;
    ssl_certificate $1/cert.pem;
    ssl_certificate_key $1/key.pem;
    # nginx 1.22's default is TLSv1 to TLSv1.2: without this it would be measured on TLS 1.2
    # against the others' TLS 1.3.
    ssl_protocols TLSv1.2 TLSv1.3;
    return 200 "x";
  }
}
CONF
}

// Helpers for the tests of `sockit serve ... --ssl`: a private CA with a server and a client
// certificate (tests/support/tls_test_support.hpp), `sockit serve` started with them, and python
// ssl clients (/usr/bin/python3, standard library only) for bulk echo with half-close and chat.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serve_harness.hpp"
#include "support/process.hpp"
#include "support/tls_test_support.hpp"

namespace sockit::test {

/// TestPki plus a client certificate signed by the same CA.
struct ServePki : TestPki {
  tls_detail::MadeCertificate client = *tls_detail::make_certificate(
      {.common_name = "sockit test client", .dns_names = {}, .ip_addresses = {}, .issuer = &ca});
  std::string client_cert = dir.write("client.pem", client.cert_pem);
  std::string client_key = dir.write("client.key", client.key_pem);
};

/// `sockit serve SERVICE 127.0.0.1 0 --model MODEL --ssl --ssl-cert ... --ssl-key ...` + extra.
inline ServeChild start_tls_serve(const ServePki& pki, const std::string& service,
                                  const std::string& model, std::vector<std::string> extra = {},
                                  const std::vector<std::string>& env = {}) {
  std::vector<std::string> args = {service, "127.0.0.1",  "0",           "--model",   model,
                                   "--ssl", "--ssl-cert", pki.cert_file, "--ssl-key", pki.key_file};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_serve(args, env);
}

/// A python TLS client over memory BIOs: sends SIZE reproducible bytes, then close_notify and
/// FIN (half-close), while reading everything the server sends until its close_notify.
/// Prints "SENT n sha256" and "GOT n sha256"; exits 1 on EOF without close_notify.
/// Arguments: PORT CAFILE SIZE.
inline constexpr std::string_view kPythonBulkClient =
    R"py(import hashlib, random, select, socket, ssl, sys, time
port, cafile, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
data = random.Random(7).randbytes(size)
ctx = ssl.create_default_context(cafile=cafile)
sock = socket.create_connection(("127.0.0.1", port), timeout=30)
sock.setblocking(False)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
shaken = notified = fin = done = False
sent = got_n = 0
got = hashlib.sha256()
pending = b""
end = time.monotonic() + 90
while not done and time.monotonic() < end:
    if not shaken:
        try:
            tls.do_handshake()
            shaken = True
        except ssl.SSLWantReadError:
            pass
    if shaken:
        while True:
            try:
                chunk = tls.read(1 << 16)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                done = True
                break
            got.update(chunk)
            got_n += len(chunk)
        while sent < size and out.pending < (1 << 18):
            sent += tls.write(data[sent:sent + (1 << 16)])
        if sent == size and not notified:
            try:
                tls.unwrap()
            except ssl.SSLWantReadError:
                pass
            notified = True
    pending += out.read()
    if done:
        break
    r, w, _ = select.select([sock], [sock] if pending else [], [], 1.0)
    if w:
        try:
            pending = pending[sock.send(pending):]
        except BlockingIOError:
            pass
    if notified and not pending and not fin:
        sock.shutdown(socket.SHUT_WR)
        fin = True
    if r:
        try:
            b = sock.recv(1 << 16)
        except BlockingIOError:
            continue
        if not b:
            print("EOF without close_notify after", got_n, flush=True)
            sys.exit(1)
        inc.write(b)
print("SENT", sent, hashlib.sha256(data).hexdigest())
print("GOT", got_n, got.hexdigest(), flush=True)
)py";

/// Two python ssl clients in one chat room: each reads its welcome, B says a line, A must
/// receive it. Prints the line A got. Arguments: PORT CAFILE.
inline constexpr std::string_view kPythonChatClients = R"py(import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
def member():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                        server_hostname="localhost")
    f = s.makefile("rb")
    if not f.readline().startswith(b"* welcome "):
        sys.exit(2)
    return s, f
a, fa = member()
b, fb = member()
b.sendall(b"hello over tls\n")
for _ in range(20):
    line = fa.readline()
    if b"hello over tls" in line:
        sys.stdout.write(line.decode())
        break
)py";

/// A python ssl client that sends "one line\n", reads the echo and closes cleanly. With a
/// client certificate when CERT and KEY are given. Prints "ECHO <line>" or "REFUSED <reason>".
/// Arguments: PORT CAFILE [CERT KEY].
inline constexpr std::string_view kPythonLineEcho = R"py(import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
if len(sys.argv) > 4:
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
try:
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                        server_hostname="localhost")
    s.sendall(b"one line\n")
    got = s.recv(100)
    if not got:
        raise ssl.SSLError("closed")
    print("ECHO", got.decode().strip(), flush=True)
    s.unwrap()
except (ssl.SSLError, OSError) as e:
    print("REFUSED", e, flush=True)
)py";

}  // namespace sockit::test

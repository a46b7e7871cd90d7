# A scripted SMTP server for the `sockit mail` tests of hostile or odd servers (run with
# /usr/bin/python3). Binds 127.0.0.1 port 0, prints "PORT 127.0.0.1:n", serves one connection in MODE:
#   inject     offers STARTTLS; sends "220 ready" and two injected reply lines in one write,
#              then the TLS handshake (CERT KEY), then a normal session; prints each command
#              received over TLS as "TLS <command>"
#   badcode    greets with a line that has no code
#   endless    greets with "220-" lines without end (until the client goes)
#   longline   greets with one 10 MB line
#   stall      accepts and says nothing
#   busy       greets with "421 4.3.2 busy, try later"
#   helo       answers EHLO with 502, then a normal session after HELO; prints "HELO <name>"
#   pipeline   offers PIPELINING and answers MAIL/RCPT only once all of them have arrived
#              (prints "PIPELINED" or, after 3 s without them, "NOT PIPELINED")
# The normal session accepts MAIL, RCPT, DATA (reads to "\r\n.\r\n") and QUIT.
import socket
import ssl
import sys
import time

mode = sys.argv[1]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
print("PORT 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
conn, _ = ls.accept()
conn.settimeout(10)


class Lines:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def data(self):
        while b"\r\n.\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            self.buf += chunk
        self.buf = self.buf.split(b"\r\n.\r\n", 1)[1]


def session(sock, lines, ehlo_reply, tag=""):
    while True:
        cmd = lines.line()
        if cmd is None:
            return
        if tag:
            print(tag + cmd, flush=True)
        verb = cmd.split(" ")[0].upper()
        if verb == "EHLO":
            sock.sendall(ehlo_reply)
        elif verb == "HELO":
            print(cmd, flush=True)
            sock.sendall(b"250 mx.test\r\n")
        elif verb == "DATA":
            sock.sendall(b"354 go ahead\r\n")
            lines.data()
            sock.sendall(b"250 2.0.0 queued\r\n")
        elif verb == "QUIT":
            sock.sendall(b"221 bye\r\n")
            return
        else:
            sock.sendall(b"250 OK\r\n")


def send_quietly(data):
    try:
        conn.sendall(data)
    except OSError:
        pass


lines = Lines(conn)
if mode == "inject":
    cert, key = sys.argv[2], sys.argv[3]
    conn.sendall(b"220 mx.test ESMTP\r\n")
    assert lines.line().startswith("EHLO")
    conn.sendall(b"250-mx.test\r\n250 STARTTLS\r\n")
    assert lines.line() == "STARTTLS"
    conn.sendall(b"220 2.0.0 ready\r\n250-injected\r\n250 AUTH PLAIN\r\n")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = ctx.wrap_socket(conn, server_side=True)
    session(tls, Lines(tls), b"250-mx.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n", "TLS ")
elif mode == "badcode":
    send_quietly(b"hello, I am not SMTP\r\n")
    time.sleep(3)
elif mode == "endless":
    for _ in range(100000):
        try:
            conn.sendall(b"220-still greeting\r\n" * 100)
        except OSError:
            break
elif mode == "longline":
    send_quietly(b"220 " + b"x" * (10 * 1024 * 1024) + b"\r\n")
elif mode == "stall":
    time.sleep(8)
elif mode == "busy":
    send_quietly(b"421 4.3.2 busy, try later\r\n")
    time.sleep(3)
elif mode == "helo":
    conn.sendall(b"220 mx.test SMTP\r\n")
    assert lines.line().startswith("EHLO")
    conn.sendall(b"502 5.5.1 EHLO not implemented\r\n")
    session(conn, lines, b"502 no\r\n")
elif mode == "pipeline":
    conn.sendall(b"220 mx.test ESMTP\r\n")
    assert lines.line().startswith("EHLO")
    conn.sendall(b"250-mx.test\r\n250 PIPELINING\r\n")
    conn.settimeout(3)
    got = []
    try:
        while len(got) < 3:
            got.append(lines.line())
        print("PIPELINED", flush=True)
    except socket.timeout:
        print("NOT PIPELINED", flush=True)
    conn.settimeout(10)
    conn.sendall(b"250 OK\r\n" * len(got))
    session(conn, lines, b"250 mx.test\r\n")

#!/usr/bin/python3
"""A scripted HTTP server for the `sockit http` tests: each path answers one way on purpose,
several of them wrong (truncated bodies, broken chunks, stalls, malformed heads).

Listens on 127.0.0.1, port 0; prints "PORT <n>" on stdout once ready. Standard library only.
With two arguments, CERT and KEY (PEM files), it speaks TLS.
"""
import gzip
import socket
import socketserver
import ssl
import sys
import time
import zlib


def read_request(rfile):
    line = rfile.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers = {}
    raw = []
    while True:
        h = rfile.readline(65536)
        if h in (b"\r\n", b"\n", b""):
            break
        raw.append(h.decode("latin-1"))
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = rfile.read(int(headers["content-length"]))
    headers[""] = "".join(raw)  # the field lines as received, for /headers
    return method, target, headers, body


def reply(status, body=b"", headers=()):
    head = "HTTP/1.1 %s\r\n" % status
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    head += "Content-Length: %d\r\n\r\n" % len(body)
    return head.encode() + body


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            req = read_request(self.rfile)
            if req is None:
                return
            if not self.answer(*req):
                return

    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def answer(self, method, target, headers, body):
        path = target.split("?")[0]
        if path == "/chunked":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                      b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n")
        elif path == "/continue":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n"
                      b"HTTP/1.1 102 Processing\r\n\r\n" + reply("200 OK", b"final"))
        elif path == "/loop":
            self.send(reply("302 Found", b"", [("Location", "/loop")]))
        elif path == "/cross":
            self.send(reply("302 Found", b"", [("Location", headers.get("x-next", ""))]))
        elif path == "/auth":
            self.send(reply("200 OK", ("auth=" + headers.get("authorization", "-")).encode()))
        elif path == "/post303" or path == "/post301" or path == "/post307":
            code = {"/post303": "303 See Other", "/post301": "301 Moved Permanently",
                    "/post307": "307 Temporary Redirect"}[path]
            self.send(reply(code, b"", [("Location", "/method")]))
        elif path == "/method":
            self.send(reply("200 OK", ("%s %d" % (method, len(body))).encode()))
        elif path == "/truncated":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 500)
            return False
        elif path == "/badchunk":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\n")
            return False
        elif path == "/cutchunk":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabcd")
            return False
        elif path == "/longheader":
            self.send(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 20000 + b"\r\nContent-Length: 0\r\n\r\n")
        elif path == "/badstatus":
            self.send(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n")
            return False
        elif path == "/stall":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"s" * 100)
            time.sleep(30)
            return False
        elif path == "/headlen":
            # Content-Length of a body that a HEAD answer never carries; the connection stays.
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n")
        elif path == "/close":
            self.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
            return False
        elif path == "/gzip":
            self.send(reply("200 OK", gzip.compress(b"squeezed " * 1000),
                            [("Content-Encoding", "gzip")]))
        elif path == "/deflate":
            self.send(reply("200 OK", zlib.compress(b"deflated " * 1000),
                            [("Content-Encoding", "deflate")]))
        elif path == "/headers":
            self.send(reply("200 OK", headers[""].encode("latin-1")))
        elif path == "/echo":
            self.send(reply("200 OK", body, [("X-Method", method)]))
        else:
            self.send(reply("404 Not Found", b"no such scenario\n"))
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()

#!/usr/bin/env python3
"""Peer server: the lecture's design, one thread per client, blocking recv/sendall.

usage: threads_echo.py PORT   (0 = pick; the bound port is printed on stdout). 127.0.0.1 only.
"""
import socket
import sys
import threading


def serve_client(conn: socket.socket) -> None:
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            return


def main(port: int) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    print(listener.getsockname()[1], flush=True)
    threading.stack_size(256 * 1024)  # thousands of clients: keep each thread's stack small
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_client, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PORT")
    main(int(sys.argv[1]))

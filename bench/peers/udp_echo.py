#!/usr/bin/env python3
"""Peer server: a UDP echo (each datagram sent back to its sender), for `sockit bench udp`.

usage: udp_echo.py PORT   (0 = pick; the bound port is printed on stdout). 127.0.0.1 only.
"""
import socket
import sys


def main(port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print(sock.getsockname()[1], flush=True)
    while True:
        data, peer = sock.recvfrom(65536)
        sock.sendto(data, peer)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PORT")
    main(int(sys.argv[1]))

"""A scripted FTP server for the tests of `sockit ftp` that real servers cannot play: a PASV
reply naming another address, a data connection closed early, a malformed reply, a data
connection that never delivers. One client, then exit. Prints "PORT <n>" once listening.

usage: ftp_fake_server.py SCENARIO
  pasv_elsewhere  EPSV unknown; PASV names 10.0.0.1 (the data port listens on 127.0.0.1 only)
  pasv_other_lo   EPSV unknown; PASV names 127.0.0.2 (nothing listens there)
  early_close     SIZE 1000, sends 300 bytes, closes the data connection, then says 226
  early_426       sends 300 bytes, closes, then 426
  malformed       answers USER with a line that is not a reply
  never_data      accepts the data connection, says 150, sends nothing and keeps it open
  active_rogue    active mode: a connection from 127.0.0.2 reaches the client's port first
"""
import socket
import sys
import time

scenario = sys.argv[1]
PAYLOAD = bytes(range(256)) * 4  # 1024 bytes, of which SIZE announces 1000


def main():
    ctl = socket.socket()
    ctl.bind(("127.0.0.1", 0))
    ctl.listen(1)
    print("PORT %d" % ctl.getsockname()[1], flush=True)
    ctl.settimeout(20)
    conn, _ = ctl.accept()
    conn.settimeout(20)
    f = conn.makefile("rwb", buffering=0)

    def say(line):
        f.write(line.encode() + b"\r\n")

    data_listener = None
    say("220 fake server")
    while True:
        raw = f.readline()
        if not raw:
            return
        cmd = raw.decode().strip()
        verb = cmd.split(" ")[0].upper()
        if verb == "USER":
            if scenario == "malformed":
                say("hello, this is not an FTP reply")
                time.sleep(1)
                return
            say("331 password please")
        elif verb == "PASS":
            say("230 in")
        elif verb == "TYPE":
            say("200 ok")
        elif verb == "SIZE":
            say("213 1000")
        elif verb == "EPSV":
            if scenario.startswith("pasv_"):
                say("500 EPSV not understood")
            else:
                data_listener = socket.socket()
                data_listener.bind(("127.0.0.1", 0))
                data_listener.listen(1)
                say("229 Entering Extended Passive Mode (|||%d|)" % data_listener.getsockname()[1])
        elif verb == "PASV":
            data_listener = socket.socket()
            data_listener.bind(("127.0.0.1", 0))
            data_listener.listen(1)
            port = data_listener.getsockname()[1]
            host = "10,0,0,1" if scenario == "pasv_elsewhere" else "127,0,0,2"
            say("227 Entering Passive Mode (%s,%d,%d)" % (host, port // 256, port % 256))
        elif verb == "EPRT":
            fields = cmd.split(" ", 1)[1].split("|")
            active_target = (fields[2], int(fields[3]))
            say("200 EPRT ok")
        elif verb == "RETR" and scenario == "active_rogue":
            say("150 here it comes")
            rogue = socket.socket()
            rogue.bind(("127.0.0.2", 0))
            rogue.connect(active_target)
            rogue.sendall(b"EVIL DATA")
            data = socket.create_connection(active_target, source_address=("127.0.0.1", 0))
            data.sendall(PAYLOAD[:1000])
            data.close()
            rogue.close()
            say("226 done")
        elif verb == "RETR":
            data_listener.settimeout(10)
            try:
                data, peer = data_listener.accept()
            except socket.timeout:
                say("425 no data connection")
                continue
            say("150 here it comes")
            if scenario == "never_data":
                time.sleep(15)
                return
            if scenario in ("early_close", "early_426"):
                data.sendall(PAYLOAD[:300])
                data.close()
                say("226 done" if scenario == "early_close" else "426 connection closed; aborted")
            else:
                data.sendall(PAYLOAD[:1000])
                data.close()
                say("226 done, data peer was %s" % peer[0])
        elif verb == "QUIT":
            say("221 bye")
            return
        else:
            say("502 not here")


main()

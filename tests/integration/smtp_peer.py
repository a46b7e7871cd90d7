# Python-side clients for tests/integration/test_serve_smtp*.cpp (run with /usr/bin/python3,
# standard library only). Usage: smtp_peer.py SCENARIO PORT [ARGS...]; each scenario prints what
# the C++ test asserts, one fact per line, and exits 0 (a Python exception exits 1).
import smtplib
import socket
import ssl
import sys


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def send(port, message, starttls=False, user=None, password=None, rcpts=("b@y",)):
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
        s.ehlo("client.test")
        if starttls:
            print("starttls", s.starttls(context=tls_context())[0])
            s.ehlo("client.test")
        if user is not None:
            try:
                print("login", s.login(user, password)[0])
            except smtplib.SMTPAuthenticationError as e:
                print("login", e.smtp_code)
                return
            except smtplib.SMTPNotSupportedError:
                print("login not offered")
                return
        refused = s.sendmail("a@x", list(rcpts), message)
        print("refused", len(refused))


def recv_reply(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
        lines = data.split(b"\r\n")
        # A reply is complete when its last line has a space after the code.
        if len(lines) >= 2 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            return data


def injection(port):
    # CVE-2011-0411: commands pipelined in plaintext after STARTTLS must not be answered (or run)
    # once TLS is up.
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    recv_reply(raw)
    raw.sendall(b"EHLO client.test\r\n")
    recv_reply(raw)
    raw.sendall(b"STARTTLS\r\nMAIL FROM:<inject@x>\r\nNOOP\r\n")
    print("plain", recv_reply(raw).decode().strip())
    tls = tls_context().wrap_socket(raw)
    tls.sendall(b"EHLO client.test\r\n")
    print("first-after-tls", recv_reply(tls).decode().split("\r\n")[0])
    tls.sendall(b"MAIL FROM:<a@x>\r\n")
    print("mail", recv_reply(tls).decode().strip())
    tls.sendall(b"QUIT\r\n")
    print("quit", recv_reply(tls).decode().strip())


def auth_plaintext(port):
    # With TLS configured, AUTH and MAIL before STARTTLS are refused.
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
        s.ehlo("client.test")
        print("auth-offered", s.has_extn("auth"))
        print("auth", s.docmd("AUTH", "PLAIN AHUAcA==")[0])
        print("mail", s.docmd("MAIL", "FROM:<a@x>")[0])


if __name__ == "__main__":
    scenario, port = sys.argv[1], int(sys.argv[2])
    rest = sys.argv[3:]
    if scenario == "send":
        send(port, sys.stdin.buffer.read())
    elif scenario == "send-tls":
        send(port, sys.stdin.buffer.read(), starttls=True)
    elif scenario == "send-auth":
        send(port, sys.stdin.buffer.read(), starttls=rest[0] == "tls", user=rest[1],
             password=rest[2])
    elif scenario == "injection":
        injection(port)
    elif scenario == "auth-plaintext":
        auth_plaintext(port)
    else:
        sys.exit("unknown scenario " + scenario)

# An aiosmtpd server for the `sockit mail` tests (run with /usr/bin/python3, which sees Debian's
# python3-aiosmtpd). Binds 127.0.0.1 port 0 and prints "PORT 127.0.0.1:n". Each message is stored as
# OUT/msgN (the exact bytes aiosmtpd received, after un-stuffing) with OUT/msgN.env (sender,
# recipients and MAIL parameters, one per line), written before msgN appears.
import argparse
import asyncio
import hmac
import os
import ssl
import time

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--cert")
p.add_argument("--key")
p.add_argument("--implicit", action="store_true", help="TLS from the start (smtps)")
p.add_argument("--require-starttls", action="store_true")
p.add_argument("--auth", help="USER:PASS required for AUTH")
p.add_argument("--cram-md5", action="store_true",
               help="also offer AUTH CRAM-MD5 (aiosmtpd has none built in: RFC 2195 below)")
p.add_argument("--size", type=int, default=33554432)
p.add_argument("--no-smtputf8", action="store_true")
p.add_argument("--refuse", action="append", default=[], help="a recipient to refuse with 550")
a = p.parse_args()


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in a.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        path = os.path.join(a.out, "msg%d" % Handler.count)
        with open(path + ".env", "w") as f:
            f.write("from %s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("rcpt %s\n" % r)
            for o in envelope.mail_options:
                f.write("option %s\n" % o)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as %d" % Handler.count


async def auth_cram_md5(self, server, args):
    # RFC 2195 with Python's own hmac: an implementation independent of sockit's.
    challenge = "<%d.%d@mx.test>" % (os.getpid(), time.time_ns())
    blob = await server.challenge_auth(challenge)
    if blob is MISSING:
        return AuthResult(success=False, handled=True)
    user, _, digest = blob.decode("utf-8", "replace").rpartition(" ")
    want_user, password = a.auth.split(":", 1)
    want = hmac.new(password.encode(), challenge.encode(), "md5").hexdigest()
    return AuthResult(success=user == want_user and hmac.compare_digest(digest, want),
                      handled=False)


if a.cram_md5:
    Handler.auth_CRAM__MD5 = auth_cram_md5


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = a.auth.split(":", 1)
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)


ctx = None
if a.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)


def factory():
    kw = dict(hostname="mx.test", data_size_limit=a.size, decode_data=False,
              enable_SMTPUTF8=not a.no_smtputf8)
    if a.auth:
        kw.update(authenticator=authenticator, auth_require_tls=ctx is not None)
    if ctx and not a.implicit:
        kw.update(tls_context=ctx, require_starttls=a.require_starttls)
    return SMTP(Handler(), **kw)


loop = asyncio.new_event_loop()
server = loop.run_until_complete(
    loop.create_server(factory, "127.0.0.1", 0, ssl=ctx if a.implicit else None))
print("PORT 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
loop.run_forever()

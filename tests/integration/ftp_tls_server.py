"""pyftpdlib's TLS_FTPHandler for the FTPS tests of `sockit ftp`: anonymous with write access to
ROOT, explicit AUTH TLS required for the control and the data connections.

usage: ftp_tls_server.py ROOT CERT KEY   (prints pyftpdlib's ">>> starting FTP server on ...")
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer

root, cert, key = sys.argv[1:4]
logging.basicConfig(level=logging.INFO)
authorizer = DummyAuthorizer()
authorizer.add_anonymous(root, perm="elradfmwMT")
handler = TLS_FTPHandler
handler.certfile = cert
handler.keyfile = key
handler.authorizer = authorizer
handler.tls_control_required = True
handler.tls_data_required = True
server = FTPServer(("127.0.0.1", 0), handler)
server.serve_forever()

# Runs a program with its stderr on a pseudo-terminal (stdin and stdout not), copies what it
# wrote there to our stdout byte for byte, and exits with its exit code. The terminal is raw,
# so "\n" arrives as "\n" (no CRLF translation). Used to test what only a terminal shows.
import os
import pty
import subprocess
import sys
import tty

master, slave = pty.openpty()
tty.setraw(slave)
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=slave)
os.close(slave)
seen = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the program and its children closed the terminal
        break
    if not chunk:
        break
    seen += chunk
code = proc.wait(timeout=60)
sys.stdout.buffer.write(bytes(seen))
sys.exit(code)

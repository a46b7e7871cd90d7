# Issue 18: a client sends SIZE MiB to `sockit serve echo`, reads the echo at RATE MiB/s, and
# the server gets SIGTERM after T seconds. Prints what the client received, how its connection
# ended and the drain lines of the server log.
# usage: /usr/bin/python3 drain_slow_reader.py SOCKIT MODEL SIZE_MIB RATE_MIBS T [DRAIN_TIMEOUT_S]
import os, signal, socket, subprocess, sys, time, re
bin, model, size, rate, after = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
dt = sys.argv[6] if len(sys.argv) > 6 else "5"
p = subprocess.Popen([bin, "serve", "echo", "0", "--model", model, "--drain-timeout", dt], stderr=subprocess.PIPE, text=True)
line = p.stderr.readline()
port = int(re.search(r":(\d+) ", line).group(1))
data = bytes((i * 131 + 7) % 251 for i in range(size << 20))
s = socket.create_connection(("127.0.0.1", port))
s.setblocking(False)
sent = 0; got = bytearray(); t0 = time.time(); termed = None; err = None
import select
while True:
    now = time.time()
    if termed is None and now - t0 >= after:
        p.send_signal(signal.SIGTERM); termed = now
    if now - t0 > 30: break
    want_w = [s] if sent < len(data) else []
    allowed = rate * (1 << 20) * (now - t0) - len(got)
    want_r = [s] if allowed > 0 else []
    r, w, _ = select.select(want_r, want_w, [], 0.01)
    if w:
        try: sent += s.send(data[sent:sent + 65536])
        except BlockingIOError: pass
    if r:
        try:
            d = s.recv(min(65536, max(1, int(allowed))))
        except BlockingIOError: continue
        except ConnectionResetError as e:
            err = "reset"; break
        if not d: err = "eof"; break
        got += d
end = time.time(); s.close()
ok = bytes(got) == data[:len(got)]
out = p.communicate(timeout=30)[1]
print(f"model={model} sent={sent} received={len(got)} end={err} prefix_ok={ok} t_after_term={end - (termed or end):.2f}s exit={p.returncode}")
print("  log:", [l for l in out.splitlines() if "drain" in l])

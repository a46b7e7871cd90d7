# Issue 18: N idle connections to `sockit serve echo --idle-timeout 2` expire together while a
# probe connection echoes one byte every 0.5 ms; the worst probe round trip is the loop stall.
# usage: /usr/bin/python3 idle_expiry_stall.py SOCKIT N
import re, socket, subprocess, sys, time, resource
bin, n = sys.argv[1], int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
p = subprocess.Popen(["prlimit", "--nofile=20000:20000", bin, "serve", "echo", "0", "--idle-timeout", "2", "--max-conns", "20000"], stderr=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+) ", p.stderr.readline()).group(1))
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
probe = socket.create_connection(("127.0.0.1", port))
probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
worst = 0.0; t0 = time.time()
while time.time() - t0 < 3.5:
    a = time.perf_counter(); probe.sendall(b"x"); probe.recv(1); rtt = time.perf_counter() - a
    worst = max(worst, rtt); time.sleep(0.0005)
closed = 0
for s in idle:
    s.setblocking(False)
    try:
        d = s.recv(100); closed += d.startswith(b"ERR idle")
    except BlockingIOError: pass
print(f"{n} idle connections: worst probe round trip {worst*1000:.1f} ms; {closed} got 'ERR idle timeout'")
p.terminate(); p.wait()

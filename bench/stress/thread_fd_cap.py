# Issue 18: the thread model under RLIMIT_NOFILE 64; 200 clients each send one line. Counts
# served, refused (line then EOF), reset and unanswered clients, and prints the stats line.
# usage: /usr/bin/python3 thread_fd_cap.py SOCKIT
import re, signal, socket, subprocess, sys, time
p = subprocess.Popen(["prlimit", "--nofile=64:64", sys.argv[1], "serve", "echo", "0", "--model", "thread", "--framing", "line"], stderr=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+) ", p.stderr.readline()).group(1))
served = refused = resets = silent = 0; keep = []
for i in range(200):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(1.0)
    s.sendall(b"x\n")
    try:
        d = s.recv(100)
        if d == b"x\n": served += 1; keep.append(s); continue
        if d.startswith(b"ERR server full"):
            try:
                rest = s.recv(100); refused += 1
            except ConnectionResetError: resets += 1
        else: silent += 1
    except ConnectionResetError: resets += 1
    except socket.timeout: silent += 1
p.send_signal(signal.SIGUSR1); time.sleep(0.3); p.send_signal(signal.SIGTERM)
for s in keep: s.close()
err = p.communicate(timeout=10)[1]
print(f"served {served}, refusal line + EOF {refused}, reset {resets}, no answer {silent};", [l for l in err.splitlines() if "stats" in l or "lowered" in l])

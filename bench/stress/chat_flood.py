# Issue 18: CLIENTS chat clients send RATE lines/s in total (round robin) to `sockit serve chat`
# for DURATION seconds, every client reading everything; then the senders stop and the readers
# wait (up to 60 s) for every line. Prints the server's peak RSS (sampled every 100 ms), the
# lag of the lines seen by CHECKED readers (each parses every line and checks that every other
# client's lines arrive complete and in order), how long after the last send those readers had
# everything, and the lines/s delivered to all readers while sending.
# usage: taskset -c 1 /usr/bin/python3 chat_flood.py SOCKIT MODEL [CLIENTS RATE DURATION
#        SERVER_CPU PAD] [-- extra serve arguments]   (PAD: bytes of padding per line)
import os, re, selectors, socket, subprocess, sys, time

argv = sys.argv[1:]
extra = []
if "--" in argv:
    extra = argv[argv.index("--") + 1:]
    argv = argv[:argv.index("--")]
bin, model = argv[0], argv[1]
clients = int(argv[2]) if len(argv) > 2 else 200
rate = float(argv[3]) if len(argv) > 3 else 2000
duration = float(argv[4]) if len(argv) > 4 else 20
server_cpu = argv[5] if len(argv) > 5 else "0"
pad = b" " + b"x" * int(argv[6]) if len(argv) > 6 and int(argv[6]) > 0 else b""
CHECKED = 4

cmd = [bin, "serve", "chat", "0", "--model", model, "--max-conns", str(clients + 10)] + extra
if server_cpu != "-":
    cmd = ["taskset", "-c", server_cpu] + cmd
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+) ", p.stderr.readline()).group(1))


def rss_kb():
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


sel = selectors.DefaultSelector()
socks, inbuf, outbuf = [], [], []
for i in range(clients):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    socks.append(s); inbuf.append(b""); outbuf.append(b"")
    sel.register(s, selectors.EVENT_READ, i)
# Checked readers: the next sequence number expected from each sender, and lag samples.
expect = [[0] * clients for _ in range(CHECKED)]
lags, errors = [], []
dropped = set()        # clients the server disconnected (a reader that could not keep up)
delivered = 0          # lines received by all readers (checked or not)
seq = [0] * clients    # lines sent per client
pending_send = 0       # lines generated but still in our user-space buffers
t0 = time.monotonic()
stop_at = t0 + duration
peak, sent_total, next_sample = 0, 0, t0
delivered_at_stop = None
done_at = None


def handle_line(i, line):
    # "guestK: s<sender> <seq> <t_ms>"; notices ("* ...") are skipped.
    colon = line.find(b": s")
    if colon < 0:
        return
    parts = line[colon + 3:].split(b" ")
    sender, n, t = int(parts[0]), int(parts[1]), float(parts[2])
    if expect[i][sender] != n:
        errors.append(f"reader {i}: from {sender} got {n}, expected {expect[i][sender]}")
    expect[i][sender] = n + 1
    lags.append(time.monotonic() * 1000 - t)


def complete():
    return all(expect[i][s] == seq[s] for i in range(CHECKED) if i not in dropped
               for s in range(clients) if s != i and s not in dropped)


while True:
    now = time.monotonic()
    if now >= next_sample:
        peak = max(peak, rss_kb()); next_sample = now + 0.1
    if now < stop_at:
        due = int((now - t0) * rate)
        while sent_total < due:
            c = sent_total % clients
            outbuf[c] += b"s%d %d %.1f%s\n" % (c, seq[c], now * 1000, pad)
            seq[c] += 1; sent_total += 1
    elif delivered_at_stop is None:
        delivered_at_stop = delivered
    for c in range(clients):
        if outbuf[c] and c not in dropped:
            try:
                n = socks[c].send(outbuf[c])
                outbuf[c] = outbuf[c][n:]
            except BlockingIOError:
                pass
            except ConnectionError as e:
                dropped.add(c); errors.append(f"sender {c}: {e}")
    pending_send = sum(outbuf[c].count(b"\n") for c in range(clients) if c not in dropped) \
        if now >= stop_at else 0
    for key, _ in sel.select(0.005):
        i = key.data
        try:
            data = socks[i].recv(1 << 16)
        except BlockingIOError:
            continue
        except ConnectionError as e:
            errors.append(f"reader {i}: {e}"); sel.unregister(socks[i]); dropped.add(i); continue
        if not data:
            errors.append(f"reader {i}: EOF"); sel.unregister(socks[i]); dropped.add(i); continue
        delivered += data.count(b"\n")
        if i < CHECKED:
            buf = inbuf[i] + data
            lines = buf.split(b"\n")
            inbuf[i] = lines.pop()
            for line in lines:
                handle_line(i, line)
    if now >= stop_at and pending_send == 0 and complete():
        done_at = now; break
    if now >= stop_at + 60:
        break
lags.sort()
q = lambda f: lags[min(len(lags) - 1, int(f * len(lags)))] / 1000 if lags else float("nan")
catch_up = f"{done_at - stop_at:.1f}s" if done_at else "not within 60s"
print(f"model={model} clients={clients} rate={rate:.0f}/s duration={duration:.0f}s pad={len(pad)} "
      f"rss_peak={peak / 1024:.0f}MB lag_p50={q(0.5):.3f}s lag_p99={q(0.99):.3f}s "
      f"lag_max={q(1.0):.3f}s all_delivered_after_stop={catch_up} "
      f"delivered={(delivered_at_stop or delivered) / duration:.0f} lines/s "
      f"offered={rate * (clients - 1):.0f} lines/s dropped={len(dropped)} errors={len(errors)}")
for e in errors[:10]:
    print("  ", e)
for s in socks:
    s.close()
p.terminate()
try:
    p.communicate(timeout=10)
except subprocess.TimeoutExpired:
    p.kill()

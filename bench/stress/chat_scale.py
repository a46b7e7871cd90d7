# Issue 16: the cost of scaling chat out. CLIENTS clients connect to HOST:PORT (HAProxy in front
# of `serve chat --redis` nodes, or one plain `serve chat`), each sends RATE lines/s for
# DURATION seconds (spread evenly), then SENDERS clients send as fast as the room takes them for
# FLOOD seconds. CHECKED clients parse every line: delivery latency (send time in the line ->
# arrival), split into cross-node (sender on another node than the receiver, known from /who's
# name@node) and same-node; the others read and discard. Prints one line of results:
#   lines_sent, p50/p99 latency (ms) all and cross-node, lines/s the room delivered to one
#   receiver during the flood, clients dropped.
# usage: /usr/bin/python3 chat_scale.py HOST PORT [CLIENTS RATE DURATION SENDERS FLOOD CHECKED]
import random, selectors, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])
given = [float(a) for a in sys.argv[3:]]
v = given + [1000, 1.0, 10.0, 10, 5.0, 20][len(given):]
clients, rate, duration, senders, flood, checked = int(v[0]), v[1], v[2], int(v[3]), v[4], int(v[5])

socks, names = [], []
for i in range(clients):
    s = socket.create_connection((host, port))
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(4096)
    line = buf.split(b"\n", 1)[0].decode()
    names.append(line.split("* welcome ")[1].split(";")[0])
    s.setblocking(False)
    socks.append(s)

# Where everyone is: /who answers name@node on a room over Redis, "name" alone otherwise.
node_of = {}
socks[0].setblocking(True)
socks[0].sendall(b"/who\n")
buf, deadline = b"", time.time() + 10
while time.time() < deadline:
    buf += socks[0].recv(65536)
    at = buf.find(b"* online:")
    if at >= 0 and buf.find(b"\n", at) >= 0:
        for item in buf[at:buf.find(b"\n", at)].decode().split()[2:]:
            name, _, node = item.partition("@")
            node_of[name] = node
        break
socks[0].setblocking(False)

sel = selectors.DefaultSelector()
pending = {}
for i, s in enumerate(socks):
    sel.register(s, selectors.EVENT_READ, i)
    pending[i] = b""
lat_all, lat_cross, dropped = [], [], set()
flood_count, flood_from, flood_to = 0, None, None
CHECK = set(range(1, 1 + checked))


def on_line(i, line, now):
    global flood_count
    # "<name>: m <sender> <t_ns> <phase>"
    parts = line.split(b": m ", 1)
    if len(parts) != 2:
        return
    f = parts[1].split()
    sender, t_ns, phase = int(f[0]), int(f[1]), f[2]
    if phase == b"f":
        if i == min(CHECK) and flood_from is not None and flood_from <= now <= flood_to:
            flood_count += 1
        return
    ms = (now - t_ns) / 1e6
    lat_all.append(ms)
    if node_of.get(names[sender], "") != node_of.get(names[i], ""):
        lat_cross.append(ms)


def pump(timeout):
    for key, _ in sel.select(timeout):
        i = key.data
        try:
            data = key.fileobj.recv(262144)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            sel.unregister(key.fileobj)
            dropped.add(i)
            continue
        if i in CHECK:
            now = time.monotonic_ns()
            data = pending[i] + data
            *lines, pending[i] = data.split(b"\n")
            for line in lines:
                on_line(i, line, now)


def send(i, phase):
    try:
        socks[i].send(b"m %d %d %s\n" % (i, time.monotonic_ns(), phase))
        return True
    except (BlockingIOError, OSError):
        return False


# Phase 1: every client RATE lines/s, in a random but even order.
sent, total_rate = 0, clients * rate
start = time.monotonic()
order = list(range(clients))
random.Random(16).shuffle(order)
while time.monotonic() - start < duration:
    due = int((time.monotonic() - start) * total_rate)
    while sent < due:
        if order[sent % clients] not in dropped and send(order[sent % clients], b"s"):
            pass
        sent += 1
    pump(0.001)
end = time.monotonic() + 3
while time.monotonic() < end:
    pump(0.05)

# Phase 2: SENDERS clients as fast as the room takes their lines (a send that would block waits).
flood_from = time.monotonic_ns()
flood_to = flood_from + int(flood * 1e9)
flooders = [i for i in range(checked + 1, checked + 1 + senders)]
while time.monotonic_ns() < flood_to:
    for i in flooders:
        for _ in range(8):
            if not send(i, b"f"):
                break
    pump(0)
end = time.monotonic() + 3
while time.monotonic() < end:
    pump(0.05)


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


print(f"clients={clients} nodes={len(set(node_of.values()))} lines_sent={sent} "
      f"p50_ms={pct(lat_all, 50):.2f} p99_ms={pct(lat_all, 99):.2f} "
      f"cross_p50_ms={pct(lat_cross, 50):.2f} cross_p99_ms={pct(lat_cross, 99):.2f} "
      f"samples={len(lat_all)} cross_samples={len(lat_cross)} "
      f"flood_lines_per_s={flood_count / flood:.0f} dropped={len(dropped)}")

#!/usr/bin/env python3
"""Serves the lines of FILE over TCP to the first client at RATE lines per second for SECONDS
(looping over the file), in 10 ms slices, then holds the connection open. A client that goes
away ends the serving quietly.
Usage: paced_server.py PORT FILE RATE SECONDS"""
import socket, sys, time
port, path, rate, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
with open(path, "rb") as f:
    lines = f.read().splitlines(keepends=True)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(8)
conn, _ = srv.accept()
start = time.time()
print(f"accepted_ms {int(start * 1000)}", flush=True)
sent, i, n = 0, 0, len(lines)
while time.time() - start < seconds:
    due = int((time.time() - start) * rate)
    if due > sent:
        k = due - sent
        chunk = lines[i:i + k]
        while len(chunk) < k:
            chunk += lines[:k - len(chunk)]
        try:
            conn.sendall(b"".join(chunk))
        except (BrokenPipeError, ConnectionResetError):
            break
        i, sent = (i + k) % n, due
    time.sleep(0.01)
print(f"sent_lines {sent}", flush=True)
held = [conn]
while True:
    c, _ = srv.accept(); held.append(c)

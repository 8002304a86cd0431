"""Slow and idle clients held open against a server, as an attacker holds them.

IDLE connections send nothing; TRICKLING ones send a request header one byte at a
time and never finish it. Each connection the server closes is opened again at once,
so the load stays on for as long as the block runs. `reopened` counts the
connections the server closed, by kind: a front with header timeouts closes them
all within seconds; a server without one never does.
"""

from __future__ import annotations

import resource
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

IDLE = 400
TRICKLING = 20
# Never completed: a trickling client sends 4 bytes a second.
HEADER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 10_000


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setblocking(False)
    return sock


def readable(sock: socket.socket, *, timeout: float = 0) -> bool:
    """Whether the socket has something to read (or its end), within timeout seconds.

    poll(), not select(): with hundreds of connections open, descriptors pass 1024,
    which select() cannot take.
    """
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed (or reset) this connection; what it sent first is read."""
    try:
        while readable(sock):
            if not sock.recv(65536):
                return True
    except OSError:
        return True
    return False


class SlowClients:
    def __init__(self, port: int, *, idle: int, trickling: int) -> None:
        self.port = port
        self.idle = [connect(port) for _ in range(idle)]
        self.trickling = [connect(port) for _ in range(trickling)]
        self.sent = [0] * trickling
        self.reopened = {"idle": 0, "trickling": 0}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.keep_up, daemon=True)

    def keep_up(self) -> None:
        while not self.stop.wait(0.25):
            for index, sock in enumerate(self.idle):
                if closed_by_server(sock):
                    sock.close()
                    self.idle[index] = connect(self.port)
                    self.reopened["idle"] += 1
            for index, sock in enumerate(self.trickling):
                position = self.sent[index] % len(HEADER)
                try:
                    sock.send(HEADER[position : position + 1])
                    self.sent[index] += 1
                except OSError:
                    pass
                if closed_by_server(sock):
                    sock.close()
                    self.trickling[index] = connect(self.port)
                    self.sent[index] = 0
                    self.reopened["trickling"] += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        for sock in [*self.idle, *self.trickling]:
            sock.close()


@contextmanager
def slow_clients(
    port: int, *, idle: int = IDLE, trickling: int = TRICKLING
) -> Iterator[SlowClients]:
    """IDLE idle and TRICKLING trickling connections to 127.0.0.1:port, kept open."""
    # The sockets here, and as many on the server's side when it is this process's child.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 4 * (idle + trickling) + 256
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    clients = SlowClients(port, idle=idle, trickling=trickling)
    clients.thread.start()
    try:
        yield clients
    finally:
        clients.close()

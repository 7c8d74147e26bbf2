"""Bounded HTTP reads: a wall-clock deadline per attempt and a cap on the response size.

requests' timeouts apply to each socket read: a server that trickles one byte a second never trips
a 30 s read timeout, and a body with no end fills memory. Every attempt made through a session
that mounts `WatchedAdapter` therefore has

- a deadline: a `Watchdog` timer shuts the attempt's socket down when the deadline passes, which
  wakes a read blocked anywhere in the status line, the headers or the body (connecting has its
  own timeout, which the caller caps at the time left);
- a byte cap: `read_body` streams the body in chunks and stops as soon as the count passes the cap;
  a declared Content-Length above it stops the download before the body is read.
"""

from __future__ import annotations

import socket
import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK_BYTES = 64 * 1024

_ACTIVE = threading.local()  # the watchdog of the attempt running on this thread, if any


def _shut(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also for TLS sockets (whose own shutdown unwraps the TLS
        # object under the reading thread's feet): the blocked read returns end-of-file.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class Watchdog:
    """Shuts down every socket the current thread's attempt reads from once `seconds` have passed."""

    def __init__(self, seconds: float):
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        _ACTIVE.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _ACTIVE.watchdog = None

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _watch(sock: socket.socket | None) -> None:
    watchdog = getattr(_ACTIVE, "watchdog", None)
    if watchdog is not None:
        watchdog.attach(sock)


# Connections register their socket with the running attempt's watchdog just before the response
# is read: new and reused (keep-alive) connections alike.
class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self):
        _watch(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self):
        _watch(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections answer to the running attempt's Watchdog."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def watched_session() -> requests.Session:
    session = requests.Session()
    adapter = WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class BodyTooLarge(Exception):
    def __init__(self, received: int, declared: int | None):
        super().__init__(received, declared)
        self.received, self.declared = received, declared


class DeadlinePassed(Exception):
    def __init__(self, received: int):
        super().__init__(received)
        self.received = received


def declared_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def read_body(response: requests.Response, *, deadline: float, max_bytes: int, progress: list[int]) -> bytes:
    """The body of a streamed response, read in chunks within `deadline` (time.monotonic) and `max_bytes`.

    Raises BodyTooLarge or DeadlinePassed; `progress[0]` holds the bytes received so far, for the
    error message when the watchdog ends the read from outside.
    """
    declared = declared_length(response)
    if declared is not None and declared > max_bytes:
        raise BodyTooLarge(0, declared)
    chunks: list[bytes] = []
    # read1 returns whatever one socket read brings (up to a chunk), so the byte count and the clock
    # are checked as data arrives; iter_content would wait inside one read for a whole chunk.
    raw = response.raw
    while chunk := raw.read1(CHUNK_BYTES, decode_content=True):
        progress[0] += len(chunk)
        if progress[0] > max_bytes:
            raise BodyTooLarge(progress[0], declared)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise DeadlinePassed(progress[0])
    return b"".join(chunks)

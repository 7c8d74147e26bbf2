"""A real local HTTP server for the live-source tests.

A ThreadingHTTPServer on 127.0.0.1 (a free port) serves the saved pages from ../shared/data/pages/
at their real URL paths. Each path can be given a script of replies (429 with Retry-After, 500, 403,
a slow reply, a truncated body, a body trickled a byte at a time, headers then silence, a body
that never ends, ...) consumed one per request before the page itself is served.
Every request is recorded with its arrival time, so tests count requests and measure spacing at
the server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from analytics_tests.support.data import shared_file

PFR_2017_PATH = "/years/2017/index.htm"
SPOTRAC_2024_PATH = "/nfl/cap/2024/"


def pfr_2017_page() -> bytes:
    return shared_file("pages", "pfr_years_2017_index.html").read_bytes()


def spotrac_2024_page() -> bytes:
    return shared_file("pages", "spotrac_nfl_cap_2024.html").read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None  # None: the path's page
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (a read timeout for a shorter client timeout)
    truncate_to: int | None = None  # send only the first n bytes (with a matching Content-Length)
    trickle_s: float | None = None  # send the body one byte every trickle_s seconds
    silence_after_headers: bool = False  # send the headers (with the body's Content-Length), then nothing
    endless: bool = False  # a chunked body that never ends (64 KB chunks, as fast as the client reads)


@dataclass(frozen=True)
class Seen:
    path: str
    at: float  # time.monotonic() on arrival
    headers: dict[str, str]


class PageServer:
    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.scripts: dict[str, list[Reply]] = {}
        self.always: dict[str, Reply] = {}
        self.seen: list[Seen] = []
        self.sent_bytes = 0  # body bytes written by the endless replies
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, path: str, body: bytes) -> None:
        self.pages[path] = body

    def script(self, path: str, *replies: Reply) -> None:
        """Replies for the next requests to `path`, in order; afterwards the page is served."""
        self.scripts[path] = list(replies)

    def always_reply(self, path: str, reply: Reply) -> None:
        self.always[path] = reply

    def requests(self, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if path is None or s.path == path]

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            if self.scripts.get(path):
                return self.scripts[path].pop(0)
            return self.always.get(path, Reply())

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # keep test output quiet
                pass

            def do_GET(self):
                with server._lock:
                    server.seen.append(Seen(self.path, time.monotonic(), dict(self.headers)))
                reply = server._next_reply(self.path)
                page = server.pages.get(self.path)
                body = reply.body if reply.body is not None else page
                status = reply.status
                if body is None:
                    status, body = 404, b"<html><body>Page not found</body></html>"
                if reply.truncate_to is not None:
                    body = body[: reply.truncate_to]
                try:
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                    if reply.endless:
                        return self._endless(status)
                    self.send_response(status)
                    # As the real hosts send them: GitHub's raw files (the nflverse CSV) as text/plain.
                    kind = "text/plain" if self.path.endswith(".csv") else "text/html"
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.silence_after_headers:
                        self.wfile.flush()
                        server._stopping.wait(600)
                    elif reply.trickle_s is not None:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            if server._stopping.wait(reply.trickle_s):
                                break
                    else:
                        self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout) and closed the connection

            def _endless(self, status: int):
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"<tr><td>" + b"x" * (64 * 1024 - 20) + b"</td></tr>\n"
                framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                opening = b"<!DOCTYPE html><html><body><table>\n"
                self.wfile.write(f"{len(opening):x}\r\n".encode() + opening + b"\r\n")
                while not server._stopping.is_set():
                    self.wfile.write(framed)
                    with server._lock:
                        server.sent_bytes += len(chunk)

        return Handler

    def start(self) -> PageServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def saved_page_server() -> Iterator[PageServer]:
    """The local server with the saved PFR 2017 and Spotrac 2024 pages at their real paths."""
    server = PageServer()
    server.serve(PFR_2017_PATH, pfr_2017_page())
    server.serve(SPOTRAC_2024_PATH, spotrac_2024_page())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A local URL nobody listens on (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"

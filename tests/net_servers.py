"""Local network servers for the tests: HTTP (ranges or not, throttled, stalling, dropping)
and a real-time MPEG-TS sender over UDP. Everything listens on or sends to 127.0.0.1 only,
and every loop ends by itself."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av


@dataclass
class HTTPBehaviour:
    ranges: bool = True  # answer Range with 206 and Accept-Ranges
    rate: float | None = None  # bytes per second, None: as fast as possible
    stall_after: int | None = None  # stop sending (keep the connection open) after these bytes
    silent: bool = False  # read the request, never answer (the client waits for headers)
    drop_at: int | None = None  # close the first response that reaches this file offset, there
    requests: list = field(default_factory=list)  # (method, path, headers dict) of each request
    served: int = 0  # body bytes sent, all requests
    dropped: bool = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        b = self.server.behaviour
        b.requests.append(("GET", self.path, dict(self.headers.items())))
        if b.silent:
            self.server.stopping.wait(120)
            self.close_connection = True
            return
        path = self.server.files.get(self.path)
        if path is None:
            self.send_error(404)
            return
        data = path.read_bytes()
        start, end = 0, len(data)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "") or "")
        if b.ranges and m:
            start = int(m.group(1))
            end = min(len(data), int(m.group(2)) + 1) if m.group(2) else len(data)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        else:
            self.send_response(200)
        if b.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if self.close_connection:  # the client said "Connection: close": say it back, as servers do
            self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        self._send_body(data, start, end)

    def _send_body(self, data: bytes, start: int, end: int) -> None:
        b = self.server.behaviour
        pos, sent, t0 = start, 0, time.monotonic()
        drop = b.drop_at if not b.dropped else None
        try:
            while pos < end and not self.server.stopping.is_set():
                n = min(16 * 1024, end - pos)
                if drop is not None and pos + n > drop:
                    self.wfile.write(data[pos:drop])
                    b.dropped = True
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if b.stall_after is not None and b.served + n > b.stall_after:
                    self.server.stopping.wait(120)  # silent, connection open, until the test ends
                    return
                self.wfile.write(data[pos : pos + n])
                pos += n
                sent += n
                b.served += n
                if b.rate:
                    ahead = sent / b.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        self.server.stopping.wait(ahead)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: HTTPBehaviour
    files: dict[str, Path]
    stopping: threading.Event


class HTTPServer:
    """``with HTTPServer({"/a.mp4": path}, HTTPBehaviour(ranges=False)) as s: s.url("/a.mp4")``"""

    def __init__(self, files: dict[str, Path], behaviour: HTTPBehaviour | None = None) -> None:
        self.behaviour = behaviour or HTTPBehaviour()
        self._srv = _Server(("127.0.0.1", 0), _Handler)
        self._srv.behaviour = self.behaviour
        self._srv.files = files
        self._srv.stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._srv.server_address[1]}{path}"

    def __enter__(self) -> HTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._srv.stopping.set()
        self._srv.shutdown()
        self._srv.server_close()
        self._thread.join(5)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UDPSender:
    """Sends an MPEG-TS file's packets to udp://127.0.0.1:PORT in real time (remuxed by PyAV),
    looping, for at most ``limit`` seconds."""

    def __init__(self, source: Path, port: int, limit: float = 60.0) -> None:
        self.source = source
        self.port = port
        self.limit = limit
        self.stop = threading.Event()
        self.sent = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> UDPSender:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        try:
            self._send()
        except Exception as e:  # reported by the test
            self.error = repr(e)

    def _send(self) -> None:
        url = f"udp://127.0.0.1:{self.port}?pkt_size=1316"
        t0 = time.monotonic()
        offset = 0.0
        with av.open(url, "w", format="mpegts") as out:
            while not self.stop.is_set() and time.monotonic() - t0 < self.limit:
                with av.open(str(self.source)) as inp:
                    streams = (
                        {s.index: out.add_stream_from_template(s) for s in inp.streams}
                        if not out.streams
                        else {s.index: out.streams[s.index] for s in inp.streams}
                    )
                    last = 0.0
                    for pkt in inp.demux():
                        if pkt.dts is None or self.stop.is_set():
                            continue
                        t = float(pkt.dts * pkt.time_base)
                        last = max(last, t)
                        due = t0 + offset + t - time.monotonic()
                        if due > 0:
                            self.stop.wait(due)
                        shift = int(round(offset / pkt.time_base))
                        pkt.dts += shift
                        if pkt.pts is not None:
                            pkt.pts += shift
                        pkt.stream = streams[pkt.stream.index]
                        out.mux(pkt)
                        self.sent += 1
                    offset += last + 0.1


class SilentTCPServer:
    """Accepts connections on 127.0.0.1 and never says a word (until the test ends)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._conns.append(conn)
            self.accepted += 1

    def __enter__(self) -> SilentTCPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for c in self._conns:
            c.close()
        self._sock.close()


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RTSPPusher:
    """Publishes a file to an RTSP server that listens (pyffplay -rtsp_flags listen) with PyAV's
    RTSP muxer over TCP, in real time. Retries connecting for ``wait`` seconds; sends at most
    ``limit`` seconds."""

    def __init__(self, source: Path, url: str, wait: float = 30.0, limit: float = 60.0) -> None:
        self.source, self.url, self.wait, self.limit = source, url, wait, limit
        self.stop = threading.Event()
        self.sent = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RTSPPusher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        deadline = time.monotonic() + self.wait
        while not self.stop.is_set():
            out = None
            try:
                out = av.open(self.url, "w", format="rtsp", options={"rtsp_transport": "tcp"})
                self._send(out)  # the connection is made with the header, at the first packet
                return
            except (av.error.FFmpegError, OSError) as e:
                if self.sent:
                    return  # the listener had enough (-t) and went away
                if time.monotonic() > deadline:
                    self.error = f"could not publish: {e!r}"
                    return
                self.stop.wait(0.2)  # nobody listens yet
            finally:
                if out is not None:
                    with contextlib.suppress(Exception):
                        out.close()

    def _send(self, out: av.container.OutputContainer) -> None:
        with av.open(str(self.source)) as inp:
            streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
            t0 = time.monotonic()
            for pkt in inp.demux():
                if pkt.dts is None:
                    continue
                if self.stop.is_set() or time.monotonic() - t0 > self.limit:
                    return
                due = t0 + float(pkt.dts * pkt.time_base) - time.monotonic()
                if due > 0:
                    self.stop.wait(due)
                pkt.stream = streams[pkt.stream.index]
                out.mux(pkt)
                self.sent += 1

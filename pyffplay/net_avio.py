"""URLs read by FFmpeg's own protocols (http, https, ftp, tcp, udp, rtmp, tls, unix, data, ...)
into the memory AVIO, as files and pipes are.

The input's reader thread ("avio_reader") calls libavformat's avio_open2 / avio_read_partial /
avio_seek through ctypes (libav.py). A server that takes byte ranges is read like a file: a
window around the position, and a seek outside it becomes a range request (avio_seek). Any
other URL is read like a pipe: everything read is kept, so FFmpeg seeks inside it and an MP4
whose moov atom is at the end plays over HTTP without ranges. An AVIOInterruptCB stops a
blocked read when the input is aborted (FFmpeg polls it at least every 100 ms).

Formats that carry packets rather than bytes (rtsp, rtp, sap: FFmpeg's AVFMT_NOFILE
demuxers) open their own connections; demux.py gives those URLs to av.open directly.
"""

from __future__ import annotations

import ctypes
import errno
import re
import time
from collections.abc import Callable
from typing import Any

import av

from pyffplay import libav
from pyffplay.errors import InputError
from pyffplay.file_avio import FileAVIO
from pyffplay.memory_avio import (
    DEFAULT_KEEP_BEHIND,
    DEFAULT_MAX_DISK,
    DEFAULT_MAX_MEMORY,
    DEFAULT_READAHEAD,
    MemoryAVIO,
)
from pyffplay.pipe_avio import PipeAVIO

# An open, read or seek that waits longer than this for the server fails ("never a hang"),
# unless -timeout or -rw_timeout says otherwise (microseconds, as FFmpeg's options).
DEFAULT_RW_TIMEOUT_US = 10_000_000
# Network chunks are smaller than a file's: a slow server hands over each one sooner.
NET_CHUNK_SIZE = 64 * 1024
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Handled by memory_avio itself: local files, stdin, descriptors.
_LOCAL_SCHEMES = frozenset({"file", "pipe", "fd"})


def url_scheme(name: str) -> str | None:
    m = _SCHEME_RE.match(name)
    return m.group(1).lower() if m else None


def is_network_url(name: str) -> bool:
    """A URL of one of FFmpeg's byte-stream protocols that memory_avio does not read itself."""
    scheme = url_scheme(name)
    if scheme is None or scheme in _LOCAL_SCHEMES:
        return False
    try:
        return scheme in libav.input_protocols()
    except OSError:
        return False


def opens_itself(name: str, format_name: str | None) -> bool:
    """True when FFmpeg's demuxer opens the input itself (rtsp://, rtp://, sap://, or a forced
    AVFMT_NOFILE format such as -f rtsp): no byte stream to give it."""
    if format_name:
        try:
            return bool(av.ContainerFormat(format_name, "r").no_file)
        except (ValueError, av.error.FFmpegError):
            return False
    if url_scheme(name) is None:
        return False
    try:
        return libav.probe_nofile_format(name) is not None
    except OSError:
        return False


class URLReader:
    """One AVIOContext opened with avio_open2; used by the reader thread only."""

    def __init__(
        self, url: str, options: dict[str, str], interrupt: Callable[[], bool] | None, chunk_size: int
    ) -> None:
        fmt = libav.libs()[0]
        self.url = url
        self.aborted = False
        self._interrupt = interrupt
        self._callback = libav.INTERRUPT_FUNC(self._check)  # kept alive as long as the context
        self._int_cb = libav.AVIOInterruptCB(self._callback, None)
        self._ctx = ctypes.c_void_p()
        self._buf = ctypes.create_string_buffer(chunk_size)
        self.pos = 0
        self.timeout = timeout_seconds(options)
        self.stalled = False
        self._busy_since: float | None = time.monotonic()  # a call that waits for the server started then
        self._last_data = self._busy_since
        d = libav.Dictionary(options)
        try:
            ret = fmt.avio_open2(
                ctypes.byref(self._ctx),
                url.encode(),
                libav.AVIO_FLAG_READ,
                ctypes.byref(self._int_cb),
                ctypes.byref(d.ptr),
            )
        finally:
            d.close()
        if ret < 0:
            if self.aborted or (interrupt is not None and interrupt()):
                raise InputError("interrupted")
            if self.stalled:
                raise InputError(f"{url}: no answer within {self.timeout:g} s (-timeout)")
            raise InputError(f"{url}: {libav.strerror(ret)}")
        size = fmt.avio_size(self._ctx)
        self.size = size if size > 0 else None
        self.seekable = self.size is not None and _seekable(self._ctx)
        self._busy_since = None

    def _check(self, opaque: Any) -> int:
        """FFmpeg's interrupt callback: non-zero aborts the blocked call (quit, or a server
        that sent nothing for the timeout: FFmpeg's own rw_timeout may retry several times)."""
        try:
            if self.aborted or (self._interrupt is not None and self._interrupt()):
                return 1
            since = self._busy_since
            if since is not None and self.timeout > 0 and time.monotonic() - since > self.timeout:
                self.stalled = True
                return 1
            return 0
        except Exception:
            return 1

    def _stopped(self) -> bool:
        """After a failed call: was it quit (not an error of the server)?"""
        return self.aborted or (self._interrupt is not None and bool(self._interrupt()))

    def read(self, n: int) -> bytes | None:
        """Up to n bytes as soon as some arrive; b"" at the end; None when aborted."""
        fmt = libav.libs()[0]
        n = min(n, len(self._buf))
        while True:
            self._busy_since = time.monotonic()
            got = fmt.avio_read_partial(self._ctx, self._buf, n)
            self._busy_since = None
            if got > 0:
                self.pos += got
                self._last_data = time.monotonic()
                return ctypes.string_at(self._buf, got)
            if got == libav.AVERROR_EOF:
                return b""
            if got < 0:
                if self._stopped():
                    return None
                raise self._error(got)

    def pread(self, n: int, offset: int) -> bytes:
        """Read at offset: a range request when it is not where the connection is."""
        if offset != self.pos:
            self._busy_since = time.monotonic()
            ret = libav.libs()[0].avio_seek(self._ctx, offset, 0)
            self._busy_since = None
            if ret < 0:
                if self._stopped():
                    return b""
                raise self._error(ret)
            self.pos = offset
        return self.read(n) or b""

    def _error(self, code: int) -> OSError:
        if self.stalled:
            self.stalled = False
            return OSError(
                errno.ETIMEDOUT,
                f"no data for {time.monotonic() - self._last_data:.0f} s "
                f"(-timeout {self.timeout:g} s); giving up",
            )
        what = libav.strerror(code)
        if self.size is not None and self.pos < self.size:
            what = f"connection lost at byte {self.pos} of {self.size} ({what})"
        return OSError(-code if 0 < -code < 4096 else errno.EIO, what)

    def close(self) -> None:
        if self._ctx:
            self.aborted = True  # nothing may block while closing
            libav.libs()[0].avio_closep(ctypes.byref(self._ctx))


def timeout_seconds(options: dict[str, str]) -> float:
    """-rw_timeout or -timeout (microseconds, as FFmpeg's), else the default; 0: none."""
    for key in ("rw_timeout", "timeout"):
        if key in options:
            try:
                return max(0.0, int(options[key]) / 1e6)
            except ValueError:
                pass
    return DEFAULT_RW_TIMEOUT_US / 1e6


def _seekable(ctx: ctypes.c_void_p) -> bool:
    """AVIOContext.seekable, trusted only when the struct reads as a sane AVIOContext."""
    head = ctypes.cast(ctx, ctypes.POINTER(libav.AVIOContextHead)).contents
    sane = (
        head.write_flag == 0
        and head.direct in (0, 1)
        and head.eof_reached in (0, 1)
        and 0 < head.buffer_size <= 1 << 26
        and 0 <= head.seekable <= 3
        and (head.protocol_whitelist is None or re.fullmatch(rb"[a-z0-9_,+-]*", head.protocol_whitelist))
    )
    return bool(sane and head.seekable & 1)


class _NetFileAVIO(FileAVIO):
    """A URL whose server takes ranges: a window around the position, like a file."""

    def __init__(self, reader: URLReader, **limits: Any) -> None:
        self._reader = reader
        assert reader.size is not None
        super().__init__(-1, reader.url, reader.size, **limits)

    # There is no descriptor to close (FileAVIO owns one): the reader closes the URL.
    @property
    def _owns_fd(self) -> bool:
        return False

    @_owns_fd.setter
    def _owns_fd(self, value: bool) -> None:
        pass

    def _pread(self, n: int, offset: int) -> bytes:
        return self._reader.pread(n, offset)

    # A seek only sets the position; the window moves when a read needs it. FFmpeg asks for
    # the size by seeking to the end and back: moving the window each time would drop what
    # was read ahead and cost two range requests.
    _seeking = False

    def seek(self, offset: int, whence: int = 0) -> int:
        self._seeking = True
        try:
            return super().seek(offset, whence)
        finally:
            self._seeking = False

    def _moved(self) -> None:
        if not self._seeking:
            super()._moved()

    def _wake_reader(self) -> None:
        self._reader.aborted = True

    def _run(self) -> None:
        try:
            super()._run()
        finally:
            self._reader.close()


class _NetPipeAVIO(PipeAVIO):
    """Any other URL (no ranges, live): everything read is kept, like a pipe."""

    def __init__(self, reader: URLReader, **limits: Any) -> None:
        self._reader = reader
        super().__init__(-1, reader.url, owns_fd=False, **limits)

    def _read_some(self, room: int) -> bytes | None:
        return self._reader.read(room)

    def _wake_reader(self) -> None:
        self._reader.aborted = True
        super()._wake_reader()

    def _run(self) -> None:
        try:
            super()._run()
        finally:
            self._reader.close()


def open_url(
    url: str,
    options: dict[str, str] | None = None,
    interrupt: Callable[[], bool] | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
    max_disk: int = DEFAULT_MAX_DISK,
    chunk_size: int = NET_CHUNK_SIZE,
    *,
    readahead: int = DEFAULT_READAHEAD,
    keep_behind: int = DEFAULT_KEEP_BEHIND,
    pipe_seek_end: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> MemoryAVIO:
    """Open a URL (blocking, interruptible) and start its reader; InputError with one line."""
    try:
        reader = URLReader(url, options or {}, interrupt, chunk_size)
    except OSError as e:  # FFmpeg's libraries could not be bound
        raise InputError(f"{url}: cannot use FFmpeg's protocols ({e})") from None
    limits = dict(max_memory=max_memory, chunk_size=chunk_size, readahead=readahead)
    if reader.seekable:
        return _NetFileAVIO(reader, keep_behind=keep_behind, **limits)
    avio = _NetPipeAVIO(reader, max_disk=max_disk, pipe_seek_end=pipe_seek_end, **limits)
    avio.on_warning = on_warning
    return avio

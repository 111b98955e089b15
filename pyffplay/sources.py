"""What a Player can play from -> the file-like object FFmpeg reads (the memory AVIO).

A path, "file:...", "-" (stdin), "pipe:N"/"fd:N" go to local_input.open_input; a URL of one
of FFmpeg's byte-stream protocols (http:, udp:, ...) to net_avio.open_url. A file
object with a real descriptor is read through that descriptor the same way. Bytes are
served from memory (no copy, no temporary file), and other file objects are read as they
are (seeks are passed on when they can seek).
"""

from __future__ import annotations

import errno
import io
import os
import threading
from collections.abc import Callable
from typing import Any

from pyffplay.errors import InputError
from pyffplay.local_input import open_input
from pyffplay.net_avio import is_network_url, open_url


class BytesAVIO:
    """An input held in memory: read/seek/tell over a memoryview."""

    is_pipe = False
    error: str | None = None
    dropped_seeks = 0  # nothing is ever dropped

    def __init__(self, data: Any, name: str) -> None:
        self.name = name
        self._view = memoryview(data).cast("B")
        self._pos = 0
        self._aborted = False

    def read(self, n: int = -1) -> bytes:
        if self._aborted:
            return b""
        end = len(self._view) if n is None or n < 0 else min(self._pos + n, len(self._view))
        data = self._view[self._pos : end].tobytes()
        self._pos = end
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._view)}.get(whence)
        if base is None or base + offset < 0:
            raise OSError(errno.EINVAL, "invalid seek")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return len(self._view)

    def abort(self) -> None:
        self._aborted = True

    def close(self) -> None:
        self.abort()


class FileObjectAVIO:
    """A Python file object without a descriptor (io.BytesIO, a decompressor, ...)."""

    is_pipe = False
    error: str | None = None
    size: int | None = None
    dropped_seeks = 0

    def __init__(self, obj: Any, name: str) -> None:
        self.name = name
        self._obj = obj
        self._lock = threading.Lock()
        self._aborted = False
        try:
            self._seekable = bool(obj.seekable())
        except (AttributeError, OSError, ValueError):
            self._seekable = hasattr(obj, "seek")

    def read(self, n: int = -1) -> bytes:
        if self._aborted:
            return b""
        try:
            data = self._obj.read(n)
        except (OSError, ValueError) as e:
            self.error = f"{self.name}: {e}"
            return b""
        return bytes(data or b"")

    def seek(self, offset: int, whence: int = 0) -> int:
        if not self._seekable:
            return -errno.ESPIPE
        return int(self._obj.seek(offset, whence))

    def tell(self) -> int:
        return int(self._obj.tell()) if self._seekable else 0

    def seekable(self) -> bool:
        return self._seekable

    def abort(self) -> None:
        self._aborted = True

    def close(self) -> None:
        self.abort()  # the caller's object stays open: it is theirs


def source_name(source: Any) -> str:
    """How messages and the window title name a source."""
    if isinstance(source, str):
        return source
    if isinstance(source, os.PathLike):
        return str(os.fspath(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "memory"
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "stream"


def open_source(
    source: Any,
    name: str,
    *,
    av_options: dict[str, str] | None = None,
    interrupt: Callable[[], bool] | None = None,
    **limits: Any,
) -> Any:
    """``av_options``: FFmpeg protocol options for a URL (user_agent, headers, timeout, ...);
    ``interrupt``: true when a blocked network open or read must give up (quit)."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if isinstance(source, str):
        if is_network_url(source):
            return open_url(source, av_options, interrupt, **limits)
        return open_input(source, **limits)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not len(source):
            raise InputError(f"{name}: the input is empty")
        return BytesAVIO(source, name)
    if not callable(getattr(source, "read", None)):
        raise InputError(f"{name}: not a path, bytes or a readable file object")
    try:
        fd = source.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        fd = None
    if isinstance(fd, int) and fd >= 0:
        # A real file or pipe: the memory AVIO reads the descriptor (files from their start).
        return open_input(f"fd:{fd}", **limits)
    return FileObjectAVIO(source, name)

"""A path, "file:...", "-" (stdin) or "pipe:N"/"fd:N" opened as a memory AVIO: a regular
file gets a FileAVIO (a window around the position), anything else a PipeAVIO."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable

from pyffplay.errors import InputError
from pyffplay.file_avio import FileAVIO
from pyffplay.memory_avio import (
    DEFAULT_MAX_DISK,
    DEFAULT_MAX_MEMORY,
    DEFAULT_READAHEAD,
    FILE_KEEP_BEHIND,
    FILE_READAHEAD,
    MemoryAVIO,
)
from pyffplay.pipe_avio import PipeAVIO

_PIPE_RE = re.compile(r"(?:pipe|fd):(\d*)")


def open_input(
    url: str,
    max_memory: int = DEFAULT_MAX_MEMORY,
    max_disk: int = DEFAULT_MAX_DISK,
    stdin_fd: int = 0,
    chunk_size: int = 256 * 1024,
    *,
    readahead: int | None = None,
    keep_behind: int | None = None,
    pipe_seek_end: bool = True,
    on_warning: Callable[[str], None] | None = None,
    tmpdir: str | None = None,
) -> MemoryAVIO:
    """Open a path, or stdin for "-", "pipe:" and "fd:" ("pipe:N"/"fd:N": descriptor N).

    max_memory: bytes held in memory; max_disk: bytes of a pipe kept in a temporary file
    (in tmpdir) past that, 0 for none; the oldest bytes of a pipe beyond both are dropped.
    readahead: bytes read beyond the position (both kinds; default FILE_READAHEAD for a
    file, DEFAULT_READAHEAD for a pipe); keep_behind: bytes of a file kept before it
    (FILE_KEEP_BEHIND); pipe_seek_end=False makes SEEK_END on a pipe not yet at EOF answer
    -ENOSYS (size unknown, as ffplay on a pipe) instead of reading the pipe to its end.
    on_warning: called once, with one line, when FFmpeg seeks to bytes that were dropped.
    """
    if max_memory <= 0 or chunk_size <= 0 or max_disk < 0:
        raise ValueError("max_memory and chunk_size must be positive, max_disk >= 0")
    avio = _open(
        url,
        stdin_fd,
        pipe_seek_end,
        FILE_KEEP_BEHIND if keep_behind is None else keep_behind,
        tmpdir,
        {"max_memory": max_memory, "chunk_size": chunk_size, "readahead": readahead},
        max_disk,
    )
    avio.on_warning = on_warning
    return avio


def _open(
    url: str,
    stdin_fd: int,
    pipe_seek_end: bool,
    keep_behind: int,
    tmpdir: str | None,
    limits: dict,
    max_disk: int,
) -> MemoryAVIO:
    readahead = limits.pop("readahead")
    pipe = dict(
        pipe_seek_end=pipe_seek_end,
        max_disk=max_disk,
        tmpdir=tmpdir,
        readahead=DEFAULT_READAHEAD if readahead is None else readahead,
        **limits,
    )
    limits["readahead"] = FILE_READAHEAD if readahead is None else readahead
    m = _PIPE_RE.fullmatch(url) if url != "-" else None
    if url == "-" or m:
        fd = int(m.group(1)) if m and m.group(1) else stdin_fd
        name = "pipe:" if fd == stdin_fd else url
        try:
            st = os.fstat(fd)
        except OSError as exc:  # e.g. stdin closed
            raise InputError(f"{name}: {exc.strerror or exc}") from None
        if stat.S_ISREG(st.st_mode):  # "- < movie.mp4": a file after all, bounded window
            return FileAVIO(os.dup(fd), name, st.st_size, keep_behind=keep_behind, **limits)
        return PipeAVIO(fd, name, owns_fd=False, **pipe)
    path = url.removeprefix("file:")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{url}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{url}: {os.strerror(errno.EISDIR)}")
    except BaseException:
        os.close(fd)
        raise
    if stat.S_ISREG(st.st_mode):
        return FileAVIO(fd, url, st.st_size, keep_behind=keep_behind, **limits)
    return PipeAVIO(fd, url, owns_fd=True, **pipe)

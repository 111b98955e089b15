"""FFmpeg's own log on stderr, as ffplay has it: ``-loglevel``, its flags, the stream dump.

PyAV installs a callback that drops every FFmpeg message. The command line puts FFmpeg's
default callback (``av_log_default_callback``) back: it runs in C, writes whole lines to
stderr under its own lock, collapses repeated lines ("Last message repeated N times") and
prefixes ``[level]`` when asked. The command line's own lines (status, warnings, the banner)
go through ``av_log`` as ffplay's do, so they take the same lock and never cut an FFmpeg line
in two. The library (``pyffplay.Player``) leaves FFmpeg's log as the process has it.
"""

from __future__ import annotations

import ctypes
import functools
import os
from typing import Any

LOG_LEVELS = {
    "quiet": -8,
    "panic": 0,
    "fatal": 8,
    "error": 16,
    "warning": 24,
    "info": 32,
    "verbose": 40,
    "debug": 48,
    "trace": 56,
}
AV_LOG_INFO = 32
AV_LOG_SKIP_REPEATED = 1
AV_LOG_PRINT_LEVEL = 2
# ffplay's main() sets this before parsing -loglevel.
DEFAULT_LOG_FLAGS = AV_LOG_SKIP_REPEATED

_enabled = False  # set by enable_stderr_log (the command line), read by dump_format


def parse_loglevel(arg: str, flags: int = DEFAULT_LOG_FLAGS, level: int = AV_LOG_INFO) -> tuple[int, int]:
    """``-loglevel [flags+]level`` -> (level, flags), as cmdutils' opt_loglevel reads it.

    Flags are ``repeat`` (show repeated lines) and ``level`` (prefix ``[level]``), each with
    an optional ``+`` or ``-``; without a sign the first flag starts from no flags at all
    (so ``level+info`` also shows repeats). A level alone keeps the current flags. A flag
    list alone (``+level``) keeps the level. ValueError when the level is not known.
    """
    given_flags = flags
    rest = arg
    count = 0
    while rest:
        sign = rest[0] if rest[0] in "+-" else ""
        token = rest[len(sign) :]
        if count == 0 and not sign:
            flags = 0  # no relative prefix: build an absolute value
        if token.startswith("repeat"):
            flags = flags | AV_LOG_SKIP_REPEATED if sign == "-" else flags & ~AV_LOG_SKIP_REPEATED
            rest = token[len("repeat") :]
        elif token.startswith("level"):
            flags = flags & ~AV_LOG_PRINT_LEVEL if sign == "-" else flags | AV_LOG_PRINT_LEVEL
            rest = token[len("level") :]
        else:
            break
        count += 1
    if not rest:
        return level, flags
    if rest[0] == "+":
        rest = rest[1:]
    elif count == 0:
        flags = given_flags  # a level alone: the flags stay as they were
    if rest in LOG_LEVELS:
        return LOG_LEVELS[rest], flags
    try:
        return int(rest, 10), flags
    except ValueError:
        raise ValueError(arg) from None


# -- FFmpeg's libraries ------------------------------------------------------------------
@functools.cache
def _avutil() -> Any:
    from pyffplay import avlibs

    lib = avlibs.load("avutil")
    lib.av_log_set_level.argtypes = [ctypes.c_int]
    lib.av_log_get_level.restype = ctypes.c_int
    lib.av_log_set_flags.argtypes = [ctypes.c_int]
    lib.av_log_get_flags.restype = ctypes.c_int
    return lib


def enable_stderr_log(level: int, flags: int) -> None:
    """FFmpeg's default callback, at ``level`` with ``flags``: its messages go to stderr."""
    global _enabled
    import av.logging

    lib = _avutil()
    av.logging.restore_default_callback()
    lib.av_log_set_flags(flags)
    lib.av_log_set_level(level)
    _enabled = True


def enabled() -> bool:
    return _enabled


def get_level() -> int:
    return int(_avutil().av_log_get_level())


def log(level: int, text: str) -> None:
    """``av_log(NULL, level, "%s", text)``: one message through FFmpeg's log (and its lock)."""
    lib = _avutil()
    # av_log is variadic; ctypes passes the two trailing pointers as C varargs do on the
    # platforms PyAV ships for.
    lib.av_log(None, ctypes.c_int(level), b"%s", text.encode("utf-8", "replace"))


# -- the stream dump ----------------------------------------------------------------------
@functools.cache
def _avformat() -> Any:
    from pyffplay import avlibs

    lib = avlibs.load("avformat")
    lib.avformat_get_class.restype = ctypes.c_void_p
    lib.av_dump_format.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.av_dump_format.restype = None
    return lib


def _read_word(fd: int, address: int) -> int | None:
    """8 bytes at ``address`` of this process, or None where nothing is mapped (reading
    /proc/self/mem fails there instead of crashing)."""
    try:
        data = os.pread(fd, 8, address)
    except (OSError, OverflowError, ValueError):
        return None
    return int.from_bytes(data, "little") if len(data) == 8 else None


def format_context_pointer(container: Any) -> int | None:
    """The AVFormatContext* of a PyAV container, which PyAV keeps in a C field it does not
    expose. Found among the object's own words as the one pointing at a struct whose first
    member is libavformat's AVClass for AVFormatContext; None when there is no such word."""
    av_class = _avformat().avformat_get_class()
    if not av_class or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    size = type(container).__basicsize__
    raw = ctypes.string_at(id(container), size)  # the live object: always readable
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for off in range(16, size - 7, 8):  # past the refcount and type pointer
            word = int.from_bytes(raw[off : off + 8], "little")
            if word < 0x10000 or word >= 1 << 47:
                continue
            if _read_word(fd, word) == av_class:
                return word
    finally:
        os.close(fd)
    return None


def dump_format(container: Any, url: str) -> bool:
    """ffplay's ``av_dump_format(ic, 0, url, 0)`` ("Input #0, ... Duration ... Stream #0:0")
    when the command line turned FFmpeg's log on; False when nothing was printed."""
    if not _enabled or get_level() < AV_LOG_INFO:
        return False
    try:
        ptr = format_context_pointer(container)
    except (OSError, ValueError, AttributeError):  # no /proc, no libavformat: no dump, play on
        return False
    if ptr is None:
        return False
    _avformat().av_dump_format(ptr, 0, url.encode("utf-8", "replace"), 0)
    return True

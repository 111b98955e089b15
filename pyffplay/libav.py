"""PyAV's own FFmpeg libraries through ctypes, for what PyAV does not expose.

PyAV ships libavformat and libavutil in ``av.libs``; binding them (as sdl_sync.py binds SDL)
reaches functions such as ``av_find_program_from_stream``. ``format_context`` finds the
AVFormatContext behind a PyAV container: PyAV keeps it as the first field after the object
header and the Cython vtable; the pointer is checked (stream count and format name) before
it is used, so a PyAV with another layout gives None, not a crash.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from typing import Any

_PTR_OFFSET = 24  # PyObject_HEAD (16) + the Cython vtable pointer (8)
_IFORMAT_OFFSET = 8  # AVFormatContext.iformat, after av_class
_NB_STREAMS_OFFSET = 44  # AVFormatContext.nb_streams (FFmpeg 5.1 ... 8.x)


@functools.cache
def library(name: str) -> ctypes.CDLL | None:
    """``library("avformat")``: PyAV's bundled copy, or None when it cannot be found."""
    import av

    here = os.path.dirname(av.__file__)
    for pattern in (os.path.join(here, "..", "av.libs", f"lib{name}-*.so*"),
                    os.path.join(here, ".dylibs", f"lib{name}.*.dylib")):
        for path in sorted(glob.glob(pattern)):
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


def format_context(container: Any) -> int | None:
    """The AVFormatContext* of an open PyAV container, or None when it cannot be trusted."""
    try:
        ptr = ctypes.c_void_p.from_address(id(container) + _PTR_OFFSET).value
        if not ptr:
            return None
        nb_streams = ctypes.c_uint.from_address(ptr + _NB_STREAMS_OFFSET).value
        iformat = ctypes.c_void_p.from_address(ptr + _IFORMAT_OFFSET).value
        name = ctypes.c_char_p.from_address(iformat).value if iformat else None
    except (ValueError, OSError):
        return None
    if nb_streams != len(container.streams) or name is None or name.decode() != container.format.name:
        return None
    return ptr


class _AVProgram(ctypes.Structure):
    # The head of AVProgram, stable since FFmpeg 1.x.
    _fields_ = [("id", ctypes.c_int), ("flags", ctypes.c_int), ("discard", ctypes.c_int),
                ("stream_index", ctypes.POINTER(ctypes.c_uint)), ("nb_stream_indexes", ctypes.c_uint)]


def program_streams(container: Any, stream_index: int) -> tuple[int, frozenset[int]] | None:
    """(program id, indexes of its streams) of the first program holding ``stream_index``
    (ffplay's av_find_program_from_stream), or None (no programs, or unknown layout)."""
    lib = library("avformat")
    ic = format_context(container)
    if lib is None or ic is None:
        return None
    find = lib.av_find_program_from_stream
    find.restype = ctypes.POINTER(_AVProgram)
    find.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    prog = find(ic, None, stream_index)
    if not prog:
        return None
    p = prog.contents
    return p.id, frozenset(p.stream_index[i] for i in range(p.nb_stream_indexes))


def stream_programs(container: Any, stream_index: int) -> list[int]:
    """Ids of every program that holds ``stream_index`` (for the ``p:`` stream specifier)."""
    lib = library("avformat")
    ic = format_context(container)
    if lib is None or ic is None:
        return []
    find = lib.av_find_program_from_stream
    find.restype = ctypes.c_void_p
    find.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    ids: list[int] = []
    last = None
    while True:
        last = find(ic, last, stream_index)
        if not last:
            return ids
        ids.append(_AVProgram.from_address(last).id)


_STREAMS_OFFSET = 48  # AVFormatContext.streams, after nb_streams (+ padding)
_CODECPAR_OFFSET = 16  # AVStream.codecpar, after av_class, index, id


@functools.cache
def _codec_functions() -> tuple[Any, Any, Any, Any] | None:
    avcodec, avutil = library("avcodec"), library("avutil")
    if avcodec is None or avutil is None:
        return None
    alloc, to_ctx, free = (avcodec.avcodec_alloc_context3, avcodec.avcodec_parameters_to_context,
                           avcodec.avcodec_free_context)
    alloc.restype, alloc.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
    to_ctx.restype, to_ctx.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]
    free.restype, free.argtypes = None, [ctypes.POINTER(ctypes.c_void_p)]
    get = avutil.av_opt_get_image_size
    get.restype, get.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                                ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    return alloc, to_ctx, free, get


def stream_dimensions(container: Any, stream_index: int) -> tuple[int, int]:
    """(width, height) of a stream's codec parameters (a subtitle's canvas), (0, 0) when
    unknown. Read through a scratch AVCodecContext and its "video_size" AVOption, so
    only AVStream's first fields (checked: index and id) are relied on."""
    funcs = _codec_functions()
    ic = format_context(container)
    if funcs is None or ic is None or not 0 <= stream_index < len(container.streams):
        return 0, 0
    alloc, to_ctx, free, get = funcs
    streams = ctypes.c_void_p.from_address(ic + _STREAMS_OFFSET).value
    if not streams:
        return 0, 0
    st = ctypes.c_void_p.from_address(streams + stream_index * ctypes.sizeof(ctypes.c_void_p)).value
    if not st or ctypes.c_int.from_address(st + 8).value != stream_index \
            or ctypes.c_int.from_address(st + 12).value != container.streams[stream_index].id:
        return 0, 0
    par = ctypes.c_void_p.from_address(st + _CODECPAR_OFFSET).value
    ctx = ctypes.c_void_p(alloc(None))
    if not par or not ctx.value:
        return 0, 0
    try:
        if to_ctx(ctx, par) < 0:
            return 0, 0
        w, h = ctypes.c_int(), ctypes.c_int()
        if get(ctx, b"video_size", 0, ctypes.byref(w), ctypes.byref(h)) < 0:
            return 0, 0
        return max(int(w.value), 0), max(int(h.value), 0)
    finally:
        free(ctypes.byref(ctx))


def codec_dimensions(codec_context: Any) -> tuple[int, int]:
    """(width, height) a live decoder context holds now (a subtitle decoder sets them from the
    stream: PGS's composition, DVB's display definition), as ffplay reads
    ``subdec.avctx->width``; (0, 0) when unknown. The AVCodecContext* follows the object
    header and the Cython vtable in PyAV's CodecContext; it is used only when its first field
    is libavcodec's AVClass for codec contexts."""
    funcs = _codec_functions()
    avcodec = library("avcodec")
    if funcs is None or avcodec is None:
        return 0, 0
    get_class = avcodec.avcodec_get_class
    get_class.restype, get_class.argtypes = ctypes.c_void_p, []
    try:
        ptr = ctypes.c_void_p.from_address(id(codec_context) + _PTR_OFFSET).value
        if not ptr or ctypes.c_void_p.from_address(ptr).value != get_class():
            return 0, 0
    except (ValueError, OSError):
        return 0, 0
    w, h = ctypes.c_int(), ctypes.c_int()
    if funcs[3](ptr, b"video_size", 0, ctypes.byref(w), ctypes.byref(h)) < 0:
        return 0, 0
    return max(w.value, 0), max(h.value, 0)

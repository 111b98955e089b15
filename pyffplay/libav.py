"""The few FFmpeg C functions PyAV does not expose, bound with ctypes.

They are taken from the very libavformat/libavcodec/libavutil/... that PyAV loaded (found in
/proc/self/maps after ``import av``), so dictionaries and contexts are shared with PyAV's
FFmpeg. ctypes releases the GIL during each call, so a thread blocked in a network read does
not stop the others.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import av  # noqa: F401 - loads FFmpeg's libraries into the process

from pyffplay import avlibs

AVIO_FLAG_READ = 1
AV_OPT_SEARCH_CHILDREN = 1 << 0
AV_OPT_SEARCH_FAKE_OBJ = 1 << 1
AV_OPT_FLAG_DECODING_PARAM = 2
AVPROBE_PADDING_SIZE = 32
AVERROR_EOF = -0x20464F45  # FFERRTAG('E','O','F',' ')
AVERROR_EXIT = -0x54495845  # FFERRTAG('E','X','I','T')

c_void_pp = ctypes.POINTER(ctypes.c_void_p)
INTERRUPT_FUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class AVIOInterruptCB(ctypes.Structure):
    _fields_ = [("callback", INTERRUPT_FUNC), ("opaque", ctypes.c_void_p)]


class AVProbeData(ctypes.Structure):
    _fields_ = [
        ("filename", ctypes.c_char_p),
        ("buf", ctypes.c_void_p),
        ("buf_size", ctypes.c_int),
        ("mime_type", ctypes.c_char_p),
    ]


class AVOption(ctypes.Structure):
    """The head of libavutil's AVOption (stable since FFmpeg 1.0): enough for name and flags."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("help", ctypes.c_char_p),
        ("offset", ctypes.c_int),
        ("type", ctypes.c_int),
        ("default_val", ctypes.c_int64),
        ("min", ctypes.c_double),
        ("max", ctypes.c_double),
        ("flags", ctypes.c_int),
        ("unit", ctypes.c_char_p),
    ]


class AVIOContextHead(ctypes.Structure):
    """The public head of AVIOContext (libavformat 59-62) up to protocol_whitelist.

    Read only to learn ``seekable``; open_url checks the layout on each context (the
    whitelist must read as a protocol list) before trusting it.
    """

    _fields_ = [
        ("av_class", ctypes.c_void_p),
        ("buffer", ctypes.c_void_p),
        ("buffer_size", ctypes.c_int),
        ("buf_ptr", ctypes.c_void_p),
        ("buf_end", ctypes.c_void_p),
        ("opaque", ctypes.c_void_p),
        ("read_packet", ctypes.c_void_p),
        ("write_packet", ctypes.c_void_p),
        ("seek", ctypes.c_void_p),
        ("pos", ctypes.c_int64),
        ("eof_reached", ctypes.c_int),
        ("error", ctypes.c_int),
        ("write_flag", ctypes.c_int),
        ("max_packet_size", ctypes.c_int),
        ("min_packet_size", ctypes.c_int),
        ("checksum", ctypes.c_ulong),
        ("checksum_ptr", ctypes.c_void_p),
        ("update_checksum", ctypes.c_void_p),
        ("read_pause", ctypes.c_void_p),
        ("read_seek", ctypes.c_void_p),
        ("seekable", ctypes.c_int),
        ("direct", ctypes.c_int),
        ("protocol_whitelist", ctypes.c_char_p),
    ]


def _loaded_library(stem: str) -> ctypes.CDLL:
    """The shared library ``stem`` ("libavformat", ...) that PyAV loaded."""
    return avlibs.load(stem.removeprefix("lib"))


def _bind(lib: ctypes.CDLL, name: str, restype: object, *argtypes: object) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


@functools.cache
def libs() -> tuple[ctypes.CDLL, ctypes.CDLL, ctypes.CDLL]:
    """(libavformat, libavutil, libavcodec), bound once; OSError when they cannot be found."""
    fmt, util, codec = (_loaded_library(stem) for stem in ("libavformat", "libavutil", "libavcodec"))
    vp, cp, i, i64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int64
    _bind(fmt, "avformat_network_init", i)
    _bind(fmt, "avio_open2", i, c_void_pp, cp, i, ctypes.POINTER(AVIOInterruptCB), c_void_pp)
    _bind(fmt, "avio_read_partial", i, vp, ctypes.c_char_p, i)
    _bind(fmt, "avio_seek", i64, vp, i64, i)
    _bind(fmt, "avio_size", i64, vp)
    _bind(fmt, "avio_closep", i, c_void_pp)
    _bind(fmt, "avio_enum_protocols", cp, c_void_pp, i)
    _bind(fmt, "av_probe_input_format", vp, ctypes.POINTER(AVProbeData), i)
    _bind(fmt, "avformat_get_class", vp)
    _bind(codec, "avcodec_get_class", vp)
    _bind(util, "av_dict_set", i, c_void_pp, cp, cp, i)
    _bind(util, "av_dict_free", None, c_void_pp)
    _bind(util, "av_strerror", i, i, ctypes.c_char_p, ctypes.c_size_t)
    _bind(util, "av_opt_find", ctypes.POINTER(AVOption), vp, cp, cp, i, i)
    fmt.avformat_network_init()
    return fmt, util, codec


def optional_class(stem: str, getter: str) -> int | None:
    """The AVClass of swscale/swresample (sws_get_class, swr_get_class), None if not loaded."""
    try:
        lib = _loaded_library(stem)
        fn = getattr(lib, getter)
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_void_p
    fn.argtypes = []
    return fn()


def strerror(code: int) -> str:
    util = libs()[1]
    buf = ctypes.create_string_buffer(256)
    if util.av_strerror(code, buf, len(buf)) < 0:
        return f"error {code}"
    return buf.value.decode("utf-8", "replace")


class Dictionary:
    """An AVDictionary built from pairs (freed by close())."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self.ptr = ctypes.c_void_p()
        util = libs()[1]
        for key, value in pairs.items():
            util.av_dict_set(ctypes.byref(self.ptr), key.encode(), str(value).encode(), 0)

    def close(self) -> None:
        libs()[1].av_dict_free(ctypes.byref(self.ptr))


@functools.cache
def input_protocols() -> frozenset[str]:
    """The names of FFmpeg's input protocols (file, http, udp, ...)."""
    fmt = libs()[0]
    opaque = ctypes.c_void_p()
    names: set[str] = set()
    while True:
        name = fmt.avio_enum_protocols(ctypes.byref(opaque), 0)
        if not name:
            return frozenset(names)
        names.add(name.decode())


def probe_nofile_format(url: str) -> str | None:
    """The demuxer FFmpeg picks from a URL alone (rtsp, rtp, sap, ...: AVFMT_NOFILE formats
    that open their own connections), as avformat_open_input does before any byte is read."""
    fmt = libs()[0]
    pad = ctypes.create_string_buffer(AVPROBE_PADDING_SIZE)
    pd = AVProbeData(url.encode(), ctypes.cast(pad, ctypes.c_void_p), 0, None)
    found = fmt.av_probe_input_format(ctypes.byref(pd), 0)
    if not found:
        return None
    name = ctypes.cast(found, ctypes.POINTER(ctypes.c_char_p))[0]  # AVInputFormat.name comes first
    return name.decode() if name else None


def find_option(av_class: int | None, name: str, children: bool = True) -> AVOption | None:
    """cmdutils' opt_find: an AVOption of the class (or its children), not a bare unit entry."""
    if not av_class:
        return None
    util = libs()[1]
    fake = ctypes.c_void_p(av_class)  # AV_OPT_SEARCH_FAKE_OBJ: a pointer to the AVClass pointer
    flags = AV_OPT_SEARCH_FAKE_OBJ | (AV_OPT_SEARCH_CHILDREN if children else 0)
    found = util.av_opt_find(ctypes.byref(fake), name.encode(), None, 0, flags)
    if not found or not found.contents.flags:
        return None
    return found.contents


# -- the AVFormatContext behind a PyAV container, and its programs -----------------

_PTR_OFFSET = 24  # PyObject_HEAD (16) + the Cython vtable pointer (8)
_IFORMAT_OFFSET = 8  # AVFormatContext.iformat, after av_class
_NB_STREAMS_OFFSET = 44  # AVFormatContext.nb_streams (FFmpeg 5.1 ... 8.x)


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
    _fields_ = [
        ("id", ctypes.c_int),
        ("flags", ctypes.c_int),
        ("discard", ctypes.c_int),
        ("stream_index", ctypes.POINTER(ctypes.c_uint)),
        ("nb_stream_indexes", ctypes.c_uint),
    ]


def program_streams(container: Any, stream_index: int) -> tuple[int, frozenset[int]] | None:
    """(program id, indexes of its streams) of the first program holding ``stream_index``
    (ffplay's av_find_program_from_stream), or None (no programs, or unknown layout)."""
    try:
        lib = _loaded_library("libavformat")
    except OSError:
        return None
    ic = format_context(container)
    if ic is None:
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
    try:
        lib = _loaded_library("libavformat")
    except OSError:
        return []
    ic = format_context(container)
    if ic is None:
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
    try:
        avcodec, avutil = avlibs.load("avcodec"), avlibs.load("avutil")
    except OSError:
        return None
    alloc, to_ctx, free = (
        avcodec.avcodec_alloc_context3,
        avcodec.avcodec_parameters_to_context,
        avcodec.avcodec_free_context,
    )
    alloc.restype, alloc.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
    to_ctx.restype, to_ctx.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]
    free.restype, free.argtypes = None, [ctypes.POINTER(ctypes.c_void_p)]
    get = avutil.av_opt_get_image_size
    get.restype, get.argtypes = (
        ctypes.c_int,
        [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
        ],
    )
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
    if (
        not st
        or ctypes.c_int.from_address(st + 8).value != stream_index
        or ctypes.c_int.from_address(st + 12).value != container.streams[stream_index].id
    ):
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
    if funcs is None:
        return 0, 0
    get_class = avlibs.load("avcodec").avcodec_get_class
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

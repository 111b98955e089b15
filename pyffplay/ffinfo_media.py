"""-pix_fmts, -sample_fmts and -layouts, printed from PyAV's libavutil (part of ffinfo)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterable
from typing import NamedTuple

from pyffplay import avlibs

AV_PIX_FMT_FLAG_PAL, AV_PIX_FMT_FLAG_BITSTREAM, AV_PIX_FMT_FLAG_HWACCEL = 1 << 1, 1 << 2, 1 << 3


def _mark(flag: object, letter: str) -> str:
    """One column of ffmpeg's flag columns: the letter, or '.'."""
    return letter if flag else "."


# -- pixel formats, sample formats, channel layouts ------------------------------------------
class _Comp(ctypes.Structure):
    _fields_ = [
        ("plane", ctypes.c_int),
        ("step", ctypes.c_int),
        ("offset", ctypes.c_int),
        ("shift", ctypes.c_int),
        ("depth", ctypes.c_int),
    ]


class _PixDesc(ctypes.Structure):  # AVPixFmtDescriptor
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("nb_components", ctypes.c_uint8),
        ("log2_chroma_w", ctypes.c_uint8),
        ("log2_chroma_h", ctypes.c_uint8),
        ("flags", ctypes.c_uint64),
        ("comp", _Comp * 4),
    ]


class PixFmt(NamedTuple):
    name: str
    sws_in: bool
    sws_out: bool
    flags: int
    nb_components: int
    bits_per_pixel: int
    depths: tuple[int, ...]


def format_pix_fmts(fmts: Iterable[PixFmt]) -> str:
    lines = [
        "Pixel formats:",
        "I.... = Supported Input  format for conversion",
        ".O... = Supported Output format for conversion",
        "..H.. = Hardware accelerated format",
        "...P. = Paletted format",
        "....B = Bitstream format",
        "FLAGS NAME            NB_COMPONENTS BITS_PER_PIXEL BIT_DEPTHS",
        "-----",
    ]
    for f in fmts:
        depths = "-".join(str(d) for d in f.depths) if f.depths else "0"
        marks = (
            _mark(f.sws_in, "I")
            + _mark(f.sws_out, "O")
            + _mark(f.flags & AV_PIX_FMT_FLAG_HWACCEL, "H")
            + _mark(f.flags & AV_PIX_FMT_FLAG_PAL, "P")
            + _mark(f.flags & AV_PIX_FMT_FLAG_BITSTREAM, "B")
        )
        lines.append(
            f"{marks} {f.name:<16}       {f.nb_components}            {f.bits_per_pixel:3d}      {depths}"
        )
    return "\n".join(lines) + "\n"


def gather_pix_fmts() -> list[PixFmt]:
    util = avlibs.load("avutil")
    sws = avlibs.load("swscale")
    util.av_pix_fmt_desc_next.restype = ctypes.POINTER(_PixDesc)
    util.av_pix_fmt_desc_next.argtypes = [ctypes.POINTER(_PixDesc)]
    util.av_pix_fmt_desc_get_id.argtypes = [ctypes.POINTER(_PixDesc)]
    util.av_get_bits_per_pixel.argtypes = [ctypes.POINTER(_PixDesc)]
    out = []
    d = util.av_pix_fmt_desc_next(None)
    while d:
        c = d.contents
        fid = util.av_pix_fmt_desc_get_id(d)
        depths = tuple(c.comp[i].depth for i in range(min(c.nb_components, 4)))
        out.append(
            PixFmt(
                avlibs.cstr(c.name),
                bool(sws.sws_isSupportedInput(fid)),
                bool(sws.sws_isSupportedOutput(fid)),
                c.flags,
                c.nb_components,
                util.av_get_bits_per_pixel(d),
                depths or (c.comp[0].depth,),
            )
        )
        d = util.av_pix_fmt_desc_next(d)
    return out


def sample_fmts_text() -> str:
    util = avlibs.load("avutil")
    util.av_get_sample_fmt_string.restype = ctypes.c_char_p
    util.av_get_sample_fmt_name.restype = ctypes.c_char_p
    buf = ctypes.create_string_buffer(128)
    lines = []
    i = -1
    while i < 0 or util.av_get_sample_fmt_name(i) is not None:
        lines.append(avlibs.cstr(util.av_get_sample_fmt_string(buf, 128, i)))
        i += 1
    return "\n".join(lines) + "\n"


def format_layouts(channels: Iterable[tuple[str, str]], layouts: Iterable[tuple[str, list[str]]]) -> str:
    lines = ["Individual channels:", "NAME           DESCRIPTION"]
    lines += [f"{name:<14} {desc}" for name, desc in channels]
    lines += ["", "Standard channel layouts:", "NAME           DECOMPOSITION"]
    lines += [f"{name:<14} {'+'.join(parts)}" for name, parts in layouts]
    return "\n".join(lines) + "\n"


def gather_layouts() -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    util = avlibs.load("avutil")
    util.av_channel_layout_standard.restype = ctypes.c_void_p
    util.av_channel_layout_standard.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    util.av_channel_layout_describe.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    util.av_channel_layout_index_from_channel.argtypes = [ctypes.c_void_p, ctypes.c_int]
    buf, buf2 = ctypes.create_string_buffer(128), ctypes.create_string_buffer(128)

    def channel_name(i: int) -> str:
        util.av_channel_name(buf2, 128, i)
        return avlibs.cstr(buf2.value)

    channels = []
    for i in range(63):
        name = channel_name(i)
        if "USR" in name:
            continue
        util.av_channel_description(buf, 128, i)
        channels.append((name, avlibs.cstr(buf.value)))
    layouts = []
    opaque = ctypes.c_void_p()
    while layout := util.av_channel_layout_standard(ctypes.byref(opaque)):
        util.av_channel_layout_describe(layout, buf, 128)
        parts = [
            channel_name(i) for i in range(63) if util.av_channel_layout_index_from_channel(layout, i) >= 0
        ]
        layouts.append((avlibs.cstr(buf.value), parts))
    return channels, layouts

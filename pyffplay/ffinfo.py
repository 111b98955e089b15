"""ffplay's common options that print and exit: -version, -buildconf, -L, -formats,
-demuxers, -muxers, -protocols, -codecs, -decoders, -encoders, -bsfs, -filters, -pix_fmts,
-sample_fmts, -layouts; and the banner. Everything comes from PyAV's own FFmpeg.

The ``format_*`` functions are pure (lists in, text out, in ffmpeg's layout); the
``gather_*`` ones read FFmpeg's tables through ctypes (avlibs), where PyAV has no list.
"""

from __future__ import annotations

import ctypes
import platform
import sys
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from pyffplay import avlibs
from pyffplay.ffinfo_media import (  # noqa: F401 - part of this module's interface
    AV_PIX_FMT_FLAG_BITSTREAM,
    AV_PIX_FMT_FLAG_HWACCEL,
    AV_PIX_FMT_FLAG_PAL,
    PixFmt,
    _mark,
    format_layouts,
    format_pix_fmts,
    gather_layouts,
    gather_pix_fmts,
    sample_fmts_text,
)

LIBS = ("avutil", "avcodec", "avformat", "avdevice", "avfilter", "swscale", "swresample")
MEDIA_CHAR = {0: "V", 1: "A", 2: "D", 3: "S", 4: "T"}

AV_CODEC_PROP_INTRA_ONLY, AV_CODEC_PROP_LOSSY, AV_CODEC_PROP_LOSSLESS = 1, 2, 4
AV_CODEC_CAP_DRAW_HORIZ_BAND, AV_CODEC_CAP_DR1 = 1 << 0, 1 << 1
AV_CODEC_CAP_EXPERIMENTAL, AV_CODEC_CAP_FRAME_THREADS, AV_CODEC_CAP_SLICE_THREADS = 1 << 9, 1 << 12, 1 << 13
AVFILTER_FLAG_DYNAMIC_INPUTS, AVFILTER_FLAG_DYNAMIC_OUTPUTS, AVFILTER_FLAG_SLICE_THREADS = 1, 2, 4
AVFILTER_FLAG_SUPPORT_TIMELINE = (1 << 16) | (1 << 17)
AV_OPT_FLAG_RUNTIME_PARAM = 1 << 15


# -- the banner and -version ----------------------------------------------------------------
class LibVersion(NamedTuple):
    name: str  # "avutil"
    built: tuple[int, int, int]  # what PyAV was built with
    running: tuple[int, int, int]  # what answers now


def program_info(
    version: str, ffmpeg: str, pyav: str, python: str, configuration: str, indent: str
) -> list[str]:
    """ffmpeg's print_program_info, saying what pyffplay is and which FFmpeg it runs on."""
    return [
        f"pyffplay version {version} (ffplay ported to Python) with FFmpeg {ffmpeg} "
        "Copyright (c) the FFmpeg developers",
        f"{indent}built with Python {python}, PyAV {pyav}",
        f"{indent}configuration: {configuration}",
    ]


def lib_version_lines(libs: Iterable[LibVersion], indent: str) -> list[str]:
    """``  libavutil      60. 26.102 / 60. 26.102``"""

    def triplet(v: tuple[int, int, int]) -> str:
        return f"{v[0]:2d}.{v[1]:3d}.{v[2]:3d}"

    return [f"{indent}lib{lib.name:<11} {triplet(lib.built)} / {triplet(lib.running)}" for lib in libs]


def gather_lib_versions() -> list[LibVersion]:
    import av
    import av._core

    out: list[LibVersion] = []
    for name in LIBS:
        meta: Any = av._core.library_meta.get(f"lib{name}")
        running: tuple[int, int, int]
        try:
            fn = getattr(avlibs.load(name), f"{name}_version")
            fn.restype = ctypes.c_uint
            running = avlibs.version_triplet(fn())
        except (OSError, AttributeError):
            a, b, c = av.library_versions.get(f"lib{name}", (0, 0, 0))
            running = (a, b, c)
        if meta is None and running == (0, 0, 0):
            continue
        built = (meta["version"][0], meta["version"][1], meta["version"][2]) if meta else running
        out.append(LibVersion(name, built, running))
    return out


def _ffmpeg_facts() -> tuple[str, str, str]:
    import av
    import av._core

    meta: Any = av._core.library_meta.get("libavutil", {})
    return str(getattr(av, "ffmpeg_version_info", "?")), av.__version__, meta.get("configuration", "")


def banner_lines() -> list[str]:
    """What ffplay prints on stderr at start (show_banner): program info, library versions."""
    from pyffplay import __version__

    ffmpeg, pyav, conf = _ffmpeg_facts()
    return program_info(__version__, ffmpeg, pyav, platform.python_version(), conf, "  ") + lib_version_lines(
        gather_lib_versions(), "  "
    )


def version_text() -> str:
    from pyffplay import __version__

    ffmpeg, pyav, conf = _ffmpeg_facts()
    return (
        "\n".join(
            program_info(__version__, ffmpeg, pyav, platform.python_version(), conf, "")
            + lib_version_lines(gather_lib_versions(), "")
        )
        + "\n"
    )


def buildconf_lines(configuration: str, indent: str = "  ") -> list[str]:
    """ffmpeg's print_buildconf: one ``--option`` per line."""
    parts = configuration.replace(" --", "~--").replace("pkg-config~", "pkg-config ").split("~")
    return ["", f"{indent}configuration:"] + [f"{indent}{indent}{p}" for p in parts if p]


def buildconf_text() -> str:
    return "\n".join(buildconf_lines(_ffmpeg_facts()[2])) + "\n"


def license_text() -> str:
    lib = avlibs.load("avutil")
    lib.avutil_license.restype = ctypes.c_char_p
    ff_license = avlibs.cstr(lib.avutil_license())
    return (
        "pyffplay is free software; you can redistribute it and/or\n"
        "modify it under the terms of the GNU Lesser General Public\n"
        "License as published by the Free Software Foundation; either\n"
        "version 2.1 of the License, or (at your option) any later version.\n"
        "\n"
        "pyffplay is distributed in the hope that it will be useful,\n"
        "but WITHOUT ANY WARRANTY; without even the implied warranty of\n"
        "MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU\n"
        "Lesser General Public License for more details.\n"
        "\n"
        f"It runs on PyAV's FFmpeg, whose libraries are licensed: {ff_license}.\n"
    )


# -- formats ------------------------------------------------------------------------------
class FormatEntry(NamedTuple):
    name: str
    long_name: str
    demux: bool
    mux: bool


def merge_formats(
    demuxers: Iterable[tuple[str, str]], muxers: Iterable[tuple[str, str]]
) -> list[FormatEntry]:
    """One row per name, sorted as strcmp does; a name both muxed and demuxed keeps the
    muxer's description, as ffmpeg's show_formats_devices does."""
    rows: dict[str, list] = {}
    for name, long_name in demuxers:
        rows.setdefault(name, [long_name, False, False])[1] = True
    for name, long_name in muxers:
        row = rows.setdefault(name, [long_name, False, False])
        row[0] = long_name
        row[2] = True
    return [FormatEntry(n, r[0], r[1], r[2]) for n, r in sorted(rows.items(), key=lambda kv: kv[0].encode())]


def format_formats(entries: Iterable[FormatEntry]) -> str:
    lines = ["File formats:", " D. = Demuxing supported", " .E = Muxing supported", " --"]
    for e in entries:
        marks = ("D" if e.demux else " ") + ("E" if e.mux else " ")
        lines.append(f" {marks} {e.name:<15} {e.long_name or ' '}")
    return "\n".join(lines) + "\n"


class _NameLong(ctypes.Structure):
    # The first two members of AVInputFormat and AVOutputFormat.
    _fields_ = [("name", ctypes.c_char_p), ("long_name", ctypes.c_char_p)]


def _iterate(fn: Any, restype: type) -> list[Any]:
    fn.restype = ctypes.POINTER(restype)
    fn.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    opaque = ctypes.c_void_p()
    out: list[Any] = []
    while True:
        p = fn(ctypes.byref(opaque))
        if not p:
            return out
        out.append(p)


def gather_formats(which: str = "all") -> list[FormatEntry]:
    fmt = avlibs.load("avformat")
    demux = (
        []
        if which == "muxers"
        else [
            (avlibs.cstr(p.contents.name), avlibs.cstr(p.contents.long_name))
            for p in _iterate(fmt.av_demuxer_iterate, _NameLong)
        ]
    )
    mux = (
        []
        if which == "demuxers"
        else [
            (avlibs.cstr(p.contents.name), avlibs.cstr(p.contents.long_name))
            for p in _iterate(fmt.av_muxer_iterate, _NameLong)
        ]
    )
    return merge_formats(demux, mux)


def gather_protocols(output: int) -> list[str]:
    fmt = avlibs.load("avformat")
    fmt.avio_enum_protocols.restype = ctypes.c_char_p
    fmt.avio_enum_protocols.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    opaque = ctypes.c_void_p()
    names = []
    while (name := fmt.avio_enum_protocols(ctypes.byref(opaque), output)) is not None:
        names.append(avlibs.cstr(name))
    return names


def format_protocols(inputs: Iterable[str], outputs: Iterable[str]) -> str:
    lines = ["Supported file protocols:", "Input:"] + [f"  {n}" for n in inputs]
    lines += ["Output:"] + [f"  {n}" for n in outputs]
    return "\n".join(lines) + "\n"


# -- codecs -------------------------------------------------------------------------------
class _Descriptor(ctypes.Structure):  # AVCodecDescriptor's first members
    _fields_ = [
        ("id", ctypes.c_int),
        ("type", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("long_name", ctypes.c_char_p),
        ("props", ctypes.c_int),
    ]


class _Codec(ctypes.Structure):  # AVCodec's public first members
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("long_name", ctypes.c_char_p),
        ("type", ctypes.c_int),
        ("id", ctypes.c_int),
        ("capabilities", ctypes.c_int),
    ]


class CodecDesc(NamedTuple):
    id: int
    type: int
    name: str
    long_name: str
    props: int


class CodecImpl(NamedTuple):
    id: int
    name: str
    long_name: str
    decoder: bool
    capabilities: int


def gather_codecs() -> tuple[list[CodecDesc], list[CodecImpl]]:
    lib = avlibs.load("avcodec")
    lib.avcodec_descriptor_next.restype = ctypes.POINTER(_Descriptor)
    lib.avcodec_descriptor_next.argtypes = [ctypes.POINTER(_Descriptor)]
    lib.av_codec_is_decoder.argtypes = [ctypes.POINTER(_Codec)]
    descs = []
    d = lib.avcodec_descriptor_next(None)
    while d:
        c = d.contents
        descs.append(CodecDesc(c.id, c.type, avlibs.cstr(c.name), avlibs.cstr(c.long_name), c.props))
        d = lib.avcodec_descriptor_next(d)
    impls = [
        CodecImpl(
            p.contents.id,
            avlibs.cstr(p.contents.name),
            avlibs.cstr(p.contents.long_name),
            bool(lib.av_codec_is_decoder(p)),
            p.contents.capabilities,
        )
        for p in _iterate(lib.av_codec_iterate, _Codec)
    ]
    return descs, impls


def _sorted_descs(descs: Iterable[CodecDesc]) -> list[CodecDesc]:
    return sorted(descs, key=lambda d: (d.type, d.name.encode()))


def format_codecs(descs: Iterable[CodecDesc], impls: list[CodecImpl]) -> str:
    """ffmpeg's show_codecs."""
    lines = [
        "Codecs:",
        " D..... = Decoding supported",
        " .E.... = Encoding supported",
        " ..V... = Video codec",
        " ..A... = Audio codec",
        " ..S... = Subtitle codec",
        " ..D... = Data codec",
        " ..T... = Attachment codec",
        " ...I.. = Intra frame-only codec",
        " ....L. = Lossy compression",
        " .....S = Lossless compression",
        " -------",
    ]
    for d in _sorted_descs(descs):
        if "_deprecated" in d.name:
            continue
        decs = [c.name for c in impls if c.id == d.id and c.decoder]
        encs = [c.name for c in impls if c.id == d.id and not c.decoder]
        marks = (
            _mark(bool(decs), "D")
            + _mark(bool(encs), "E")
            + MEDIA_CHAR.get(d.type, "?")
            + _mark(d.props & AV_CODEC_PROP_INTRA_ONLY, "I")
            + _mark(d.props & AV_CODEC_PROP_LOSSY, "L")
            + _mark(d.props & AV_CODEC_PROP_LOSSLESS, "S")
        )
        line = f" {marks} {d.name:<20} {d.long_name}"
        if any(n != d.name for n in decs):
            line += " (decoders: " + "".join(n + " " for n in decs) + ")"
        if any(n != d.name for n in encs):
            line += " (encoders: " + "".join(n + " " for n in encs) + ")"
        lines.append(line)
    return "\n".join(lines) + "\n"


def format_codec_impls(descs: Iterable[CodecDesc], impls: list[CodecImpl], decoders: bool) -> str:
    """ffmpeg's print_codecs (-decoders / -encoders)."""
    lines = [
        "Decoders:" if decoders else "Encoders:",
        " V..... = Video",
        " A..... = Audio",
        " S..... = Subtitle",
        " .F.... = Frame-level multithreading",
        " ..S... = Slice-level multithreading",
        " ...X.. = Codec is experimental",
        " ....B. = Supports draw_horiz_band",
        " .....D = Supports direct rendering method 1",
        " ------",
    ]
    for d in _sorted_descs(descs):
        for c in impls:
            if c.id != d.id or c.decoder != decoders:
                continue
            cap = c.capabilities
            marks = (
                MEDIA_CHAR.get(d.type, "?")
                + _mark(cap & AV_CODEC_CAP_FRAME_THREADS, "F")
                + _mark(cap & AV_CODEC_CAP_SLICE_THREADS, "S")
                + _mark(cap & AV_CODEC_CAP_EXPERIMENTAL, "X")
                + _mark(cap & AV_CODEC_CAP_DRAW_HORIZ_BAND, "B")
                + _mark(cap & AV_CODEC_CAP_DR1, "D")
            )
            line = f" {marks} {c.name:<20} {c.long_name}"
            if c.name != d.name:
                line += f" (codec {d.name})"
            lines.append(line)
    return "\n".join(lines) + "\n"


def bsfs_text() -> str:
    import av

    return "Bitstream filters:\n" + "".join(f"{n}\n" for n in sorted(av.bitstream_filters_available)) + "\n"


# -- filters ------------------------------------------------------------------------------
class _Filter(ctypes.Structure):  # AVFilter's public first members
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
        ("inputs", ctypes.c_void_p),
        ("outputs", ctypes.c_void_p),
        ("priv_class", ctypes.c_void_p),
        ("flags", ctypes.c_int),
    ]


class FilterInfo(NamedTuple):
    name: str
    description: str
    flags: int
    inputs: str  # media type letters of the pads, e.g. "VV"
    outputs: str
    commands: bool


def filter_pads_text(inputs: str, outputs: str, flags: int) -> str:
    """``VV->V``, ``|->A`` (source), ``N->V`` (dynamic inputs)."""
    ins = inputs or ("N" if flags & AVFILTER_FLAG_DYNAMIC_INPUTS else "|")
    outs = outputs or ("N" if flags & AVFILTER_FLAG_DYNAMIC_OUTPUTS else "|")
    return f"{ins}->{outs}"


def format_filters(filters: Iterable[FilterInfo]) -> str:
    lines = [
        "Filters:",
        "  T.. = Timeline support",
        "  .S. = Slice threading",
        "  ..C = Command support",
        "  A = Audio input/output",
        "  V = Video input/output",
        "  N = Dynamic number and/or type of input/output",
        "  | = Source or sink filter",
    ]
    for f in filters:
        marks = (
            _mark(f.flags & AVFILTER_FLAG_SUPPORT_TIMELINE, "T")
            + _mark(f.flags & AVFILTER_FLAG_SLICE_THREADS, "S")
            + _mark(f.commands, "C")
        )
        pads = filter_pads_text(f.inputs, f.outputs, f.flags)
        lines.append(f" {marks} {f.name:<17} {pads:<10} {f.description}")
    return "\n".join(lines) + "\n"


def _has_runtime_options(util: ctypes.CDLL, priv_class: int | None) -> bool:
    """A filter takes commands when it has options that may change while running (the
    process_command FFmpeg 8 keeps private is there for them)."""
    if not priv_class:
        return False
    holder = ctypes.c_void_p(priv_class)  # av_opt_next wants an object whose first member is the class
    opt = util.av_opt_next(ctypes.byref(holder), None)
    while opt:
        # AVOption: name, help, offset, type, default (8 bytes), min, max, then flags.
        if ctypes.c_int.from_address(opt + 48).value & AV_OPT_FLAG_RUNTIME_PARAM:
            return True
        opt = util.av_opt_next(ctypes.byref(holder), ctypes.c_void_p(opt))
    return False


def gather_filters() -> list[FilterInfo]:
    lib = avlibs.load("avfilter")
    util = avlibs.load("avutil")
    util.av_opt_next.restype = ctypes.c_void_p
    util.av_opt_next.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.avfilter_filter_pad_count.restype = ctypes.c_uint
    lib.avfilter_filter_pad_count.argtypes = [ctypes.POINTER(_Filter), ctypes.c_int]
    lib.avfilter_pad_get_type.argtypes = [ctypes.c_void_p, ctypes.c_int]
    out = []
    for p in _iterate(lib.av_filter_iterate, _Filter):
        f = p.contents
        pads = []
        for is_out, arr in ((0, f.inputs), (1, f.outputs)):
            n = lib.avfilter_filter_pad_count(p, is_out)
            types = (MEDIA_CHAR.get(lib.avfilter_pad_get_type(arr, j), "?") for j in range(n))
            pads.append("".join(types)[:30])
        out.append(
            FilterInfo(
                avlibs.cstr(f.name),
                avlibs.cstr(f.description),
                f.flags,
                pads[0],
                pads[1],
                _has_runtime_options(util, f.priv_class),
            )
        )
    return out


# -- the options ------------------------------------------------------------------------------
def _codecs(kind: str) -> str:
    descs, impls = gather_codecs()
    if kind == "codecs":
        return format_codecs(descs, impls)
    return format_codec_impls(descs, impls, decoders=kind == "decoders")


SHOW: dict[str, Callable[[], str]] = {
    "version": version_text,
    "buildconf": buildconf_text,
    "L": license_text,
    "formats": lambda: format_formats(gather_formats()),
    "demuxers": lambda: format_formats(gather_formats("demuxers")),
    "muxers": lambda: format_formats(gather_formats("muxers")),
    "protocols": lambda: format_protocols(gather_protocols(0), gather_protocols(1)),
    "codecs": lambda: _codecs("codecs"),
    "decoders": lambda: _codecs("decoders"),
    "encoders": lambda: _codecs("encoders"),
    "bsfs": bsfs_text,
    "filters": lambda: format_filters(gather_filters()),
    "pix_fmts": lambda: format_pix_fmts(gather_pix_fmts()),
    "sample_fmts": sample_fmts_text,
    "layouts": lambda: format_layouts(*gather_layouts()),
}


def show(name: str) -> None:
    sys.stdout.write(SHOW[name]())
    sys.stdout.flush()

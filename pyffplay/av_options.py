"""FFmpeg's AVOptions on the command line, routed as ffplay's cmdutils (opt_default) routes them.

An option pyffplay does not define is looked up in FFmpeg itself (av_opt_find on the
AVClasses, libav.py), not in a list: a codec option (AVCodecContext and every decoder's
private options, "-threads", "-lowres", with stream specifiers as "-threads:v 2") goes to each
matching decoder; a format option (AVFormatContext, every demuxer and every protocol:
"-probesize", "-fflags", "-user_agent", "-headers", "-timeout", "-reconnect",
"-rtsp_transport") goes to the input's open; swscale and swresample options are accepted
and kept (pyffplay converts through PyAV's defaults). An option no class knows is
"Unrecognized option".
"""

from __future__ import annotations

import functools
import re
from typing import Any

from pyffplay import libav

FORMAT, CODEC, SWS, SWR = "format", "codec", "sws", "swr"

_STREAM_TYPES = {"v": "video", "V": "video", "a": "audio", "s": "subtitle", "d": "data", "t": "attachment"}


@functools.cache
def _classes() -> dict[str, int | None]:
    fmt, _, codec = libav.libs()
    return {
        FORMAT: fmt.avformat_get_class(),
        CODEC: codec.avcodec_get_class(),
        SWS: libav.optional_class("libswscale", "sws_get_class"),
        SWR: libav.optional_class("libswresample", "swr_get_class"),
    }


def route(name: str) -> tuple[str, ...]:
    """Where ffplay would pass ``-name value``: a subset of (format, codec, sws, swr); empty
    when FFmpeg has no such option (or its libraries cannot be bound)."""
    try:
        classes = _classes()
    except OSError:
        return ()
    stripped = name.split(":", 1)[0]  # "threads:v" -> "threads"
    targets = []
    if libav.find_option(classes[CODEC], stripped) or (
        name[:1] in "vas" and libav.find_option(classes[CODEC], name[1:], children=False)
    ):
        targets.append(CODEC)
    if libav.find_option(classes[FORMAT], name):
        targets.append(FORMAT)
    if not targets and libav.find_option(classes[SWS], name):
        targets.append(SWS)
    if not targets and libav.find_option(classes[SWR], name):
        targets.append(SWR)
    return tuple(targets)


def stream_matches(spec: str, st: Any) -> bool:
    """FFmpeg's stream specifier, the common forms: "" (all), "v"/"a"/"s"/"d"/"t" (type),
    "v:1" (nth of a type), "3" (index), "#0x101" / "i:0x101" (stream id)."""
    if not spec:
        return True
    if spec.isdigit():
        return st.index == int(spec)
    m = re.fullmatch(r"(?:#|i:)(0x[0-9a-fA-F]+|\d+)", spec)
    if m:
        return getattr(st, "id", None) == int(m.group(1), 0)
    kind, _, rest = spec.partition(":")
    if kind not in _STREAM_TYPES or st.type != _STREAM_TYPES[kind]:
        return False
    if not rest:
        return True
    if not rest.isdigit():
        return False
    same = [s for s in st.container.streams if s.type == st.type]
    n = int(rest)
    return n < len(same) and same[n].index == st.index


def codec_options(opts: tuple[tuple[str, str], ...], st: Any) -> dict[str, str]:
    """ffplay's filter_codec_opts: the codec options whose specifier matches this stream
    (a later, more specific one wins, as in FFmpeg's dictionary)."""
    out: dict[str, str] = {}
    for key, value in opts:
        name, _, spec = key.partition(":")
        if name[:1] in "vas" and not libav.find_option(_classes()[CODEC], name) and not spec:
            # "-vb 1M" style: the prefix is the stream type
            if st.type != _STREAM_TYPES[name[0]]:
                continue
            name = name[1:]
        if stream_matches(spec, st):
            out[name] = value
    return out

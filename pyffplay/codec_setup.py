"""The codec context each decoder thread uses: ffplay's decoder choices and options.

-vcodec/-acodec/-scodec (or -codec:v/a/s) force a decoder by name; -lowres, -fast and
-hwaccel are set before the first decode. A forced or hardware decoder gets a context of its
own with the stream's parameters copied in; otherwise PyAV's context for the stream is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import av

from pyffplay.errors import InputError
from pyffplay.options import Options

_FORCED = {"video": "video_codec", "audio": "audio_codec", "subtitle": "subtitle_codec"}


def _copy_parameters(src: Any, dst: Any) -> None:
    """avcodec_parameters_to_context for what PyAV lets us set."""
    if src.extradata:
        dst.extradata = src.extradata
    for name in (
        "width",
        "height",
        "pix_fmt",
        "sample_rate",
        "layout",
        "format",
        "bit_rate",
        "time_base",
        "framerate",
    ):
        try:
            value = getattr(src, name, None)
            if value is not None:
                setattr(dst, name, value)
        except (AttributeError, TypeError, ValueError, RuntimeError):
            pass  # not readable or settable for this kind of codec


def _forced_context(st: Any, name: str) -> Any:
    try:
        codec = av.Codec(name, "r")
    except (ValueError, av.error.FFmpegError):
        raise InputError(f"Unknown decoder '{name}'") from None
    if codec.type != st.type:
        raise InputError(f"Invalid decoder type '{codec.type}' for '{name}' on a {st.type} stream")
    cc = av.CodecContext.create(codec, "r")
    _copy_parameters(st.codec_context, cc)
    return cc


def _hw_context(st: Any, device: str, warn: Callable[[str], None]) -> Any | None:
    """A hardware decoder's context, or None (with one note) when no device answers."""
    from av.codec.hwaccel import HWAccel, hwdevices_available

    names = hwdevices_available() if device == "auto" else [device]
    failures = []
    for name in names:
        try:
            cc = av.CodecContext.create(
                st.codec_context.name, "r", hwaccel=HWAccel(name, allow_software_fallback=True)
            )
        except Exception as e:  # no device: PermissionError, ValueError, FFmpegError
            failures.append(f"{name}: {e.strerror if isinstance(e, OSError) and e.strerror else e}")
            continue
        if cc.is_hwaccel:
            _copy_parameters(st.codec_context, cc)
            return cc
        failures.append(f"{name}: no {st.codec_context.name} decoding")
    warn(f"hardware decoding unavailable ({'; '.join(failures) or 'no device type'}); decoding in software")
    return None


def decoder_context(st: Any, opts: Options, warn: Callable[[str], None]) -> Any:
    """The codec context for stream ``st`` with the command line's decoder options."""
    forced = getattr(opts, _FORCED[st.type], None) if st.type in _FORCED else None
    cc = _forced_context(st, forced) if forced else st.codec_context
    if cc is None:
        return None
    if st.type == "video" and opts.hwaccel and not forced:
        cc = _hw_context(st, opts.hwaccel, warn) or cc
    options = dict(cc.options or {})
    if opts.lowres and st.type == "video":
        options["lowres"] = str(opts.lowres)  # the decoder clamps it to what it supports
    if opts.fast:
        options["flags2"] = "+fast"
    if options and not cc.is_open:  # a context opened before (a switch back) keeps them
        cc.options = options
    return cc

"""An MPEG-TS with two programs playing at once (as a DVB multiplex carries several services):
program 1 = video 0 + audio 1 (440 Hz), program 2 = video 2 + audio 3 (1000 Hz).

PyAV cannot declare programs, so they are made with libavformat's av_new_program and
av_program_add_stream_index on the output container (through pyffplay.libav), before the
header is written at the first mux.
"""

from __future__ import annotations

import ctypes
import fractions
import os
from pathlib import Path

import av
import numpy as np

from pyffplay import libav
from tests.media import _Painter


def _output_context(container) -> int:
    """The AVFormatContext* of a PyAV output container (as libav.format_context finds an
    input's), checked by its stream count and its muxer's name."""
    ptr = ctypes.c_void_p.from_address(id(container) + 24).value
    assert ptr, "no AVFormatContext"
    nb_streams = ctypes.c_uint.from_address(ptr + 44).value
    oformat = ctypes.c_void_p.from_address(ptr + 16).value
    name = ctypes.c_char_p.from_address(oformat).value if oformat else None
    assert nb_streams == len(container.streams) and name == b"mpegts", (nb_streams, name)
    return ptr


def make_two_programs(path, duration: float = 4.0, fps: int = 25, rate: int = 48000) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format="mpegts") as out:
        streams = []
        for tone in (440.0, 1000.0):
            v = out.add_stream("libx264", rate=fps)
            v.width, v.height, v.pix_fmt = 160, 120, "yuv420p"
            v.options = {"preset": "ultrafast", "g": str(fps)}
            a = out.add_stream("aac", rate=rate)
            a.layout = "stereo"
            streams.append((v, a, tone))
        ctx = _output_context(out)
        lib = libav._loaded_library("libavformat")
        lib.av_new_program.restype = ctypes.c_void_p
        lib.av_new_program.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.av_program_add_stream_index.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint]
        for prog_id, (v, a, _) in enumerate(streams, start=1):
            lib.av_new_program(ctx, prog_id)
            lib.av_program_add_stream_index(ctx, prog_id, v.index)
            lib.av_program_add_stream_index(ctx, prog_id, a.index)
        painters = [_Painter(160, 120), _Painter(160, 120, "still")]
        n_audio = int(duration * rate)
        pos = 0
        for i in range(int(duration * fps) + 1):
            limit = n_audio if i == int(duration * fps) else min(n_audio, (i + 1) * rate // fps)
            while pos < limit:
                count = min(1024, n_audio - pos)
                t = np.arange(pos, pos + count) / rate
                for _, a, tone in streams:
                    mono = (0.25 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
                    af = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
                    af.sample_rate, af.pts, af.time_base = rate, pos, fractions.Fraction(1, rate)
                    for p in a.encode(af):
                        out.mux(p)
                pos += count
            if i < int(duration * fps):
                for (v, _, _), painter in zip(streams, painters):
                    vf = av.VideoFrame.from_ndarray(painter.frame(i), format="yuv420p")
                    vf.pts, vf.time_base = i, fractions.Fraction(1, fps)
                    for p in v.encode(vf):
                        out.mux(p)
        for v, a, _ in streams:
            for p in v.encode(None) + a.encode(None):
                out.mux(p)
    os.replace(tmp, path)
    return path

"""Test media with subtitles: a video with a PGS (bitmap) or SubRip (text) track, and
external .srt / .sup files.

PGS display sets come from tests/pgs.py; SubRip from an .srt file. Either is demuxed by
FFmpeg and its packets remuxed into Matroska (PyAV encodes no bitmap subtitles), so the
player meets real hdmv_pgs_subtitle and subrip tracks.
"""

from __future__ import annotations

import fractions
import os
from pathlib import Path

import av
import numpy as np

from tests.media import _Painter
from tests.media_tracks import _srt
from tests.pgs import box, write_sup

# The bitmap cue: a green box with a blue border, placed on a canvas the video's size.
BOX_COLOR = (0, 255, 0, 255)
BORDER_COLOR = (0, 0, 255, 255)


def write_srt(path, cues: list[tuple[float, float, str]]) -> Path:
    path = Path(path)
    path.write_text(_srt(cues))
    return path


def pgs_cues(width: int, height: int, times: list[tuple[float, float]]):
    """Cues for write_sup: a box a quarter of the width wide, centred, in the lower half."""
    bw, bh = width // 4, height // 6
    x, y = (width - bw) // 2, height * 2 // 3
    palette = {1: BOX_COLOR, 2: BORDER_COLOR}
    return [(a, b, x, y, box(bw, bh, border=2), palette) for a, b in times], (x, y, bw, bh)


def make_subtitled(
    path, sub_file: Path, *, duration: float = 6.0, width: int = 640, height: int = 360, fps: int = 30
) -> Path:
    """H.264 video (no audio) + the subtitle track of ``sub_file`` (.srt or .sup) in MKV."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    src = av.open(str(sub_file))
    with av.open(str(tmp), "w", format="matroska") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "g": str(fps)}
        vs.codec_context.time_base = fractions.Fraction(1, fps)
        so = out.add_stream_from_template(src.streams[0])
        painter = _Painter(width, height, scene="still")
        for i in range(int(round(duration * fps))):
            vf = av.VideoFrame.from_ndarray(painter.frame(i), format="yuv420p")
            vf.pts, vf.time_base = i, fractions.Fraction(1, fps)
            out.mux(vs.encode(vf))
        out.mux(vs.encode(None))
        for p in src.demux(src.streams[0]):
            if p.size:
                p.stream = so
                out.mux(p)
    src.close()
    os.replace(tmp, path)
    return path


def green_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of the subtitle box's green (the test video never shows such a green)."""
    r, g, b = (rgb[..., k].astype(np.int16) for k in range(3))
    return (g > 200) & (r < 80) & (b < 80)


def white_mask(rgb: np.ndarray) -> np.ndarray:
    return (rgb.astype(np.int16) > 235).all(axis=-1)


def dark_mask(rgb: np.ndarray) -> np.ndarray:
    return (rgb.astype(np.int16) < 30).all(axis=-1)


__all__ = ["write_srt", "write_sup", "pgs_cues", "make_subtitled", "green_mask", "white_mask", "dark_mask"]


def make_dvb_ts(
    path,
    cues,
    *,
    duration: float = 8.0,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    canvas: tuple[int, int] | None = None,
) -> Path:
    """H.264 + a DVB subtitle track in MPEG-TS: each cue (start, end, x, y, indices,
    palette) shown, then cleared, by packets from tests/dvbsub.py, on ``canvas`` (the
    display definition; default the video's size)."""
    canvas = canvas or (width, height)
    from tests.dvbsub import display_set

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format="mpegts") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "g": str(fps)}
        vs.codec_context.time_base = fractions.Fraction(1, fps)
        ss = out.add_stream("dvbsub")
        tb = fractions.Fraction(1, 90000)
        subs = []
        for n, (start, end, x, y, indices, palette) in enumerate(cues):
            subs.append((start, display_set(canvas, 2 * n, x, y, indices, palette)))
            subs.append((end, display_set(canvas, 2 * n + 1)))
        painter = _Painter(width, height, scene="still")
        for i in range(int(round(duration * fps))):
            while subs and subs[0][0] <= i / fps:
                t, data = subs.pop(0)
                p = av.Packet(data)
                p.stream = ss
                p.pts = p.dts = int(round(t * 90000))
                p.time_base = tb
                out.mux(p)
            vf = av.VideoFrame.from_ndarray(painter.frame(i), format="yuv420p")
            vf.pts, vf.time_base = i, fractions.Fraction(1, fps)
            out.mux(vs.encode(vf))
        out.mux(vs.encode(None))
    os.replace(tmp, path)
    return path

"""Test media with several tracks: one video, N audio tracks with a tone each, M subtitle
tracks, in Matroska. Which audio track plays is told by its frequency on the sink's monitor.

Subtitle tracks are SubRip text written as an .srt file, demuxed by FFmpeg and remuxed
(PyAV cannot encode subtitles), so they are real SRT tracks in the container.
"""

from __future__ import annotations

import fractions
import os
from pathlib import Path

import av
import numpy as np

from tests.media import _Painter

TRACK_AMPLITUDE = 0.25


def _srt(lines: list[tuple[float, float, str]]) -> str:
    def ts(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i}\n{ts(a)} --> {ts(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(lines, 1))


def make_tracks(
    path,
    *,
    duration: float = 6.0,
    width: int = 320,
    height: int = 240,
    fps: int = 30,
    tones: tuple[float, ...] = (440.0, 1000.0),
    languages: tuple[str, ...] = ("eng", "fra"),
    subtitles: tuple[str, ...] = ("eng", "fra"),
    rate: int = 48000,
):
    """Video + one AAC track per tone (language from ``languages``) + SRT tracks whose
    cues say "<language> <second>" once a second. Returns ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    srt_inputs = []
    for lang in subtitles:
        srt_path = path.with_name(f"{path.stem}.{lang}.srt")
        srt_path.write_text(_srt([(t + 0.1, t + 0.9, f"{lang} {t}") for t in range(int(duration))]))
        srt_inputs.append((lang, av.open(str(srt_path))))
    with av.open(str(tmp), "w", format="matroska") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "g": str(fps)}
        vs.codec_context.time_base = fractions.Fraction(1, fps)
        audio = []
        for k, tone in enumerate(tones):
            a = out.add_stream("aac", rate=rate)
            a.layout = "stereo"
            a.metadata["language"] = languages[k] if k < len(languages) else "und"
            audio.append((a, tone))
        subs = []
        for lang, src in srt_inputs:
            o = out.add_stream_from_template(src.streams[0])
            o.metadata["language"] = lang
            subs.append((src, o))
        painter = _Painter(width, height)
        n_frames = int(round(duration * fps))
        n_audio = int(round(duration * rate))
        pos = 0
        for i in range(n_frames + 1):
            limit = n_audio if i == n_frames else min(n_audio, (i + 1) * rate // fps)
            while pos < limit:
                count = min(1024, n_audio - pos)
                t = np.arange(pos, pos + count) / rate
                for a, tone in audio:
                    mono = (TRACK_AMPLITUDE * np.sin(2 * np.pi * tone * t)).astype(np.float32)
                    af = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
                    af.sample_rate, af.pts, af.time_base = rate, pos, fractions.Fraction(1, rate)
                    out.mux(a.encode(af))
                pos += count
            if i < n_frames:
                vf = av.VideoFrame.from_ndarray(painter.frame(i), format="yuv420p")
                vf.pts, vf.time_base = i, fractions.Fraction(1, fps)
                out.mux(vs.encode(vf))
        out.mux(vs.encode(None))
        for a, _ in audio:
            out.mux(a.encode(None))
        for src, o in subs:
            for p in src.demux(src.streams[0]):
                if p.size:
                    p.stream = o
                    out.mux(p)
            src.close()
    os.replace(tmp, path)
    return path


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency of a block of samples (Hann window, real FFT)."""
    if samples.size < 256:
        return float("nan")
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum[1:]) + 1) * rate / samples.size

"""Test media made with PyAV: frames that say their own index, audio that ticks.

Every video frame carries its index as a row of ``BITS`` black/white blocks across the
top (most significant bit on the left), over a gradient that moves from frame to frame.
``decode_frame_index`` reads the index back from an RGB picture of any size, so a test
can tell *which* frame was decoded or shown, not just that something was.

The audio is a 440 Hz sine with a short loud click at every whole second of media time.

Usable as a script too (``scripts/demo`` does this)::

    python -m tests.media out.mp4 [--duration 10] [--size 1280x720] [--fps 30]
"""

from __future__ import annotations

import argparse
import fractions
import math
import os
from pathlib import Path

import av
import numpy as np

BITS = 16  # blocks in the index row
ROW_FRACTION = 16  # the index row is height // ROW_FRACTION pixels tall

TONE_HZ = 440.0
TONE_AMPLITUDE = 0.25
CLICK_SECONDS = 0.005  # length of the click at each whole second
CLICK_AMPLITUDE = 0.9

# limited-range luma for black and white blocks
_Y_BLACK = 16
_Y_WHITE = 235


def _index_row_height(height: int) -> int:
    return max(2, (height // ROW_FRACTION) & ~1)


class _Painter:
    """Draws yuv420p frames with numpy, one vectorised pass per plane."""

    def __init__(self, width: int, height: int, scene: str = "scroll"):
        if scene not in ("scroll", "still"):
            raise ValueError(f"unknown scene {scene!r}")
        self.scene = scene
        if width % 2 or height % 2:
            raise ValueError("width and height must be even for yuv420p")
        self.width, self.height = width, height
        self.row_h = _index_row_height(height)
        x = np.arange(width, dtype=np.int32)
        y = np.arange(height, dtype=np.int32)
        self._xy = (x[None, :] + y[:, None]).astype(np.int32)  # luma diagonal
        cx = np.arange(width // 2, dtype=np.int32)
        cy = np.arange(height // 2, dtype=np.int32)
        self._cx = np.broadcast_to(cx[None, :], (height // 2, width // 2))
        self._cy = np.broadcast_to(cy[:, None], (height // 2, width // 2))
        # which bit each luma column of the index row shows
        self._col_bit = np.minimum(x * BITS // width, BITS - 1)
        self._buf = np.empty((height * 3 // 2, width), dtype=np.uint8)

    def frame(self, index: int) -> np.ndarray:
        w, h = self.width, self.height
        buf = self._buf
        luma = buf[:h]
        # "scroll": the whole diagonal gradient moves (every pixel changes every frame);
        # "still": the gradient stays and a box crosses it, like a shot with a fixed camera.
        # Kept in mid-range so it is never pure black/white.
        shift = 7 * index if self.scene == "scroll" else 0
        luma[:] = 40 + ((self._xy + shift) % 360) * 150 // 360
        if self.scene == "still":
            side = h // 4
            x0 = (index * 8) % max(w - side, 1)
            y0 = (h - side) // 2
            luma[y0 : y0 + side, x0 : x0 + side] = 200
        bits = (index >> (BITS - 1 - self._col_bit)) & 1
        luma[: self.row_h] = np.where(bits == 1, _Y_WHITE, _Y_BLACK).astype(np.uint8)[None, :]
        chroma = buf[h:].reshape(2, h // 2, w // 2)  # U plane, then V plane
        chroma[0] = 128 + ((self._cx + 3 * index) % 128 - 64)
        chroma[1] = 128 + ((self._cy + 5 * index) % 128 - 64)
        if self.scene == "still":
            chroma[0] = 128 + (self._cx % 128 - 64)
            chroma[1] = 128 + (self._cy % 128 - 64)
        chroma[:, : self.row_h // 2] = 128  # the index row stays grey-scale
        return buf


def frame_rgb(index: int, width: int = 1280, height: int = 720) -> np.ndarray:
    """The RGB picture of frame ``index`` as the generator draws it (before encoding)."""
    yuv = _Painter(width, height).frame(index)
    return av.VideoFrame.from_ndarray(yuv.copy(), format="yuv420p").to_ndarray(format="rgb24")


def decode_frame_index(rgb: np.ndarray) -> int:
    """Read the frame index back from an RGB (H, W, 3) uint8 picture of any size.

    Samples the middle of each block of the index row and thresholds its brightness.
    """
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"expected an (H, W, 3) RGB array, got shape {rgb.shape}")
    h, w = rgb.shape[:2]
    row_h = h / ROW_FRACTION
    y0, y1 = int(row_h * 0.25), max(int(row_h * 0.75), int(row_h * 0.25) + 1)
    grey = rgb[y0:y1, :, :3].astype(np.float32).mean(axis=(0, 2))  # per column
    value = 0
    for bit in range(BITS):
        x0 = int((bit + 0.3) * w / BITS)
        x1 = max(int((bit + 0.7) * w / BITS), x0 + 1)
        value = (value << 1) | int(grey[x0:x1].mean() >= 128)
    return value


def audio_samples(start: int, count: int, sample_rate: int) -> np.ndarray:
    """Mono float32 samples ``start .. start+count`` of the test tone with clicks."""
    n = np.arange(start, start + count, dtype=np.int64)
    t = n / sample_rate
    out = (TONE_AMPLITUDE * np.sin(2 * math.pi * TONE_HZ * t)).astype(np.float32)
    click_len = max(1, int(CLICK_SECONDS * sample_rate))
    in_click = (n % sample_rate) < click_len
    out[in_click] = CLICK_AMPLITUDE
    return out


def _container_format(path: Path, container: str | None) -> str | None:
    if container:
        return {"ts": "mpegts"}.get(container, container)
    suffix = path.suffix.lower()
    return {".ts": "mpegts", ".m4a": "ipod", ".mp4": "mp4", ".mkv": "matroska", ".mp3": "mp3"}.get(suffix)


def make_clip(
    path,
    *,
    duration: float = 10.0,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    audio: bool = True,
    sample_rate: int = 48000,
    keyint: int | None = None,
    moov_at_end: bool = True,
    container: str | None = None,
    preset: str = "ultrafast",
    rotation: float = 0,
    scene: str = "scroll",
    muxrate: int | None = None,
    chapters: tuple[float, ...] = (),
):
    """Write an H.264 (+ AAC stereo) clip whose frame ``i`` shows ``i`` in its index row.

    MP4 from PyAV keeps the moov atom at the end unless ``moov_at_end=False`` (faststart).
    ``container`` forces a muxer ("mpegts"/"ts", "mp4", "matroska", ...); otherwise the
    suffix of ``path`` decides. ``keyint`` sets the GOP length in frames. ``rotation``
    stores a display matrix (degrees counter-clockwise, as PyAV's frame.rotation reports).
    ``scene``: "scroll" (every pixel moves every frame) or "still" (a box crosses a fixed
    background). ``muxrate`` (MPEG-TS only): a constant rate in bit/s, padded with null
    packets, for a large file that is cheap to make and to play. ``chapters``: the start of
    each chapter in seconds (the last one ends at ``duration``), written as the container's
    chapters (MKV; MP4 adds a data track).
    Returns ``path``.
    """
    path = Path(path)
    fmt = _container_format(path, container)
    options = {}
    if fmt in ("mp4", "mov", "ipod") and not moov_at_end:
        options["movflags"] = "faststart"
    if muxrate:
        options["muxrate"] = str(muxrate)
    n_frames = int(round(duration * fps))
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format=fmt or None, options=options) as out:
        if chapters:
            ends = [*chapters[1:], duration]
            out.set_chapters(
                [
                    {
                        "id": i + 1,
                        "start": round(start * 1000),
                        "end": round(end * 1000),
                        "time_base": fractions.Fraction(1, 1000),
                        "metadata": {"title": f"Chapter {i + 1}"},
                    }
                    for i, (start, end) in enumerate(zip(chapters, ends))
                ]
            )
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vopts = {"preset": preset}
        if keyint:
            vopts["g"] = str(keyint)
            vopts["keyint_min"] = str(keyint)
            vopts["sc_threshold"] = "0"
            vs.codec_context.gop_size = keyint
        vs.options = vopts
        vs.codec_context.time_base = fractions.Fraction(1, fps)
        vs.thread_type = "AUTO"
        if rotation:
            vs.set_display_rotation(rotation)
        as_ = None
        if audio:
            as_ = out.add_stream("aac", rate=sample_rate)
            as_.layout = "stereo"
        painter = _Painter(width, height, scene)

        audio_pos = 0
        a_frame = 1024
        n_audio = int(round(duration * sample_rate))
        for i in range(n_frames + 1):
            # write audio up to the time of this video frame so the file is interleaved
            if as_ is not None:
                limit = n_audio if i == n_frames else min(n_audio, (i + 1) * sample_rate // fps)
                while audio_pos < limit:
                    count = min(a_frame, n_audio - audio_pos)
                    mono = audio_samples(audio_pos, count, sample_rate)
                    af = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
                    af.sample_rate = sample_rate
                    af.pts = audio_pos
                    af.time_base = fractions.Fraction(1, sample_rate)
                    out.mux(as_.encode(af))
                    audio_pos += count
            if i < n_frames:
                vf = av.VideoFrame.from_ndarray(painter.frame(i), format="yuv420p")
                vf.pts = i
                vf.time_base = fractions.Fraction(1, fps)
                out.mux(vs.encode(vf))
        out.mux(vs.encode(None))
        if as_ is not None:
            out.mux(as_.encode(None))
    os.replace(tmp, path)
    return path


def make_audio_only(path, duration: float = 5.0, rate: int = 48000):
    """Write the test tone (with clicks) as AAC in .m4a/.mp4 or MP3 in .mp3. Returns path."""
    path = Path(path)
    fmt = _container_format(path, None)
    codec = "libmp3lame" if fmt == "mp3" else "aac"
    n_total = int(round(duration * rate))
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format=fmt or None) as out:
        st = out.add_stream(codec, rate=rate)
        st.layout = "stereo"
        fmt_name = st.codec_context.format.name if st.codec_context.format else "fltp"
        chunk = 1152 if codec == "libmp3lame" else 1024
        pos = 0
        while pos < n_total:
            count = min(chunk, n_total - pos)
            mono = audio_samples(pos, count, rate)
            if fmt_name.endswith("p"):
                af = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
            else:
                af = av.AudioFrame.from_ndarray(
                    np.stack([mono, mono], axis=1).reshape(1, -1), format="flt", layout="stereo"
                )
            af.sample_rate = rate
            af.pts = pos
            af.time_base = fractions.Fraction(1, rate)
            out.mux(st.encode(af))
            pos += count
        out.mux(st.encode(None))
    os.replace(tmp, path)
    return path


def decode_indices(path) -> list[tuple[float, int]]:
    """(pts seconds, index read from the picture) for every video frame of a file."""
    result = []
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        for f in c.decode(vs):
            result.append((float(f.time), decode_frame_index(f.to_ndarray(format="rgb24"))))
    return result


def _main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.media", description="Make a pyffplay test clip.")
    p.add_argument("output")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--keyint", type=int, default=None)
    p.add_argument("--no-audio", action="store_true")
    p.add_argument("--faststart", action="store_true", help="moov atom at the start")
    p.add_argument("--audio-only", action="store_true")
    a = p.parse_args(argv)
    if a.audio_only:
        make_audio_only(a.output, a.duration)
    else:
        w, h = (int(v) for v in a.size.lower().split("x"))
        make_clip(
            a.output,
            duration=a.duration,
            width=w,
            height=h,
            fps=a.fps,
            audio=not a.no_audio,
            keyint=a.keyint,
            moov_at_end=not a.faststart,
        )
    print(a.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

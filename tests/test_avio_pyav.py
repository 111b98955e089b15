"""PyAV (FFmpeg) demuxing and decoding through MemoryAVIO, from files and pipes."""

from __future__ import annotations

import fractions
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from pyffplay.local_input import open_input
from tests import avio_helpers
from tests.avio_helpers import JOIN, KiB

pipes = avio_helpers.pipes  # the fixture


FRAMES, SIZE, FPS = 25, 64, 25


def make_media(
    path: Path, fmt: str | None = None, options: dict | None = None, frames: int = FRAMES
) -> bytes:
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width = video.height = SIZE
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        ramp = np.linspace(0, 255, SIZE * SIZE * 3).reshape(SIZE, SIZE, 3)
        for i in range(frames):
            picture = ((ramp + 10 * i) % 256).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, fractions.Fraction(1, FPS)
            out.mux(video.encode(frame))
            for k in range(2):  # about 1 s of silence alongside
                samples = av.AudioFrame.from_ndarray(
                    np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
                )
                samples.sample_rate, samples.pts = 48000, (2 * i + k) * 1024
                samples.time_base = fractions.Fraction(1, 48000)
                out.mux(audio.encode(samples))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path.read_bytes()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, tuple[Path, bytes]]:
    root = tmp_path_factory.mktemp("media")
    made = {}
    for name, fmt, options, frames in (
        ("end.mp4", None, None, FRAMES),
        ("fast.mp4", None, {"movflags": "faststart"}, FRAMES),
        ("clip.ts", "mpegts", None, FRAMES),
        ("long.ts", "mpegts", None, 10 * FRAMES),
        ("long_end.mp4", None, None, 10 * FRAMES),
    ):
        made[name] = (root / name, make_media(root / name, fmt, options, frames))
    end, fast = made["end.mp4"][1], made["fast.mp4"][1]
    assert end.find(b"moov") > end.find(b"mdat") > 0  # the case ffplay fails on a pipe
    assert 0 < fast.find(b"moov") < fast.find(b"mdat")
    return made


def decode_video(container) -> list[np.ndarray]:
    return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


@pytest.mark.parametrize("name", ["end.mp4", "fast.mp4", "clip.ts"])
def test_pyav_decodes_a_file(media, name):
    path, _ = media[name]
    avio = open_input(str(path), chunk_size=4 * KiB)
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert len(decode_video(container)) == FRAMES
    avio.close()


@pytest.mark.parametrize("seek_end", [True, False])
def test_pyav_plays_moov_at_end_from_a_pipe(media, pipes, seek_end):
    _, data = media["end.mp4"]
    _, avio = pipes(
        [data[i : i + 1000] for i in range(0, len(data), 1000)], chunk_size=4 * KiB, pipe_seek_end=seek_end
    )
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert container.streams.video[0].frames == FRAMES
        assert len(decode_video(container)) == FRAMES


def test_pyav_plays_and_rewinds_mpegts_from_a_pipe(media, pipes):
    _, data = media["clip.ts"]
    _, avio = pipes([data[i : i + 4096] for i in range(0, len(data), 4096)], chunk_size=4 * KiB)
    with av.open(avio, buffer_size=4 * KiB) as container:
        frames = decode_video(container)
        assert len(frames) == FRAMES
        container.seek(0)
        again = next(container.decode(video=0)).to_ndarray(format="gray")
        assert np.array_equal(again, frames[0])


def test_pyav_plays_a_ts_larger_than_the_bound(media, pipes):
    _, data = media["long.ts"]
    bound = 16 * KiB + 16 * KiB
    assert len(data) > 4 * bound
    _, avio = pipes(
        [data[i : i + 1000] for i in range(0, len(data), 1000)],
        max_memory=16 * KiB,
        max_disk=16 * KiB,
        chunk_size=4 * KiB,
    )
    with av.open(avio, buffer_size=4 * KiB) as container:
        assert len(decode_video(container)) == 10 * FRAMES
    assert avio._kept_from() > len(data) - bound - 4 * KiB  # it played through a window
    assert avio.dropped_seeks == 0


def test_pyav_on_moov_at_end_larger_than_the_bound(media, pipes):
    """The moov atom is read, the samples before it were dropped: one warning, no hang."""
    _, data = media["long_end.mp4"]
    assert data.find(b"moov") > 8 * KiB
    warnings: list[str] = []
    _, avio = pipes([data], max_memory=8 * KiB, max_disk=0, chunk_size=4 * KiB, on_warning=warnings.append)
    frames = -1
    try:
        with av.open(avio, buffer_size=4 * KiB) as container:
            frames = len(decode_video(container))
    except av.error.FFmpegError:
        pass
    assert frames < 10 * FRAMES
    assert len(warnings) == 1 and "cannot seek back" in warnings[0]
    assert avio.dropped_seeks >= 1


def test_abort_ends_a_demux_blocked_on_a_stalled_pipe(media, pipes):
    _, data = media["clip.ts"]
    half = len(data) // 2 // 188 * 188
    _, avio = pipes(
        [data[:half]], keep_open=True, chunk_size=4 * KiB, pipe_seek_end=False
    )  # a live pipe: do not wait for its end
    outcome: list[str] = []

    def demux() -> None:  # av.open itself waits for more than half the clip to probe
        try:
            with av.open(avio, buffer_size=4 * KiB) as container:
                for _ in container.demux():
                    pass
            outcome.append("ended")
        except av.error.FFmpegError as exc:
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=demux)
    thread.start()
    with avio._cond:
        assert avio._cond.wait_for(lambda: avio._end >= half, JOIN)
    thread.join(0.05)
    assert thread.is_alive()  # everything sent was read: FFmpeg waits for more
    avio.abort()
    thread.join(JOIN)
    assert not thread.is_alive() and outcome  # "ended": av.open and demux saw EOF

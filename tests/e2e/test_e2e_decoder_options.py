"""Decoder and demuxer options (-vcodec, -lowres, -fast, -genpts, -drp, -nofind_stream_info,
-hwaccel) and seeking by bytes (-bytes), on the real command and the API."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

import pyffplay
from pyffplay.commands import Seek, SeekFraction
from tests.observe import _wait_until

WAIT = 20.0


@pytest.fixture(scope="session")
def mpeg2_clip(media):
    """2 s of MPEG-2 video at 320x240 in an MPEG program stream (a decoder with lowres)."""
    path = media.path("lowres.mpg")
    if not path.exists():
        with av.open(str(path), "w", format="mpeg") as out:
            st = out.add_stream("mpeg2video", rate=25)
            st.width, st.height, st.pix_fmt = 320, 240, "yuv420p"
            for i in range(50):
                img = np.full((240, 320, 3), (i * 5) % 255, dtype=np.uint8)
                f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
                f.pts, f.time_base = i, fractions.Fraction(1, 25)
                out.mux(st.encode(f))
            out.mux(st.encode(None))
    return path


def _frames(run):
    return [e for e in run.trace() if e["ev"] == "frame"]


@pytest.mark.parametrize(
    "args",
    [
        ["-vcodec", "h264"],
        ["-codec:a", "aac"],
        ["-fast", "-genpts"],
        ["-drp", "0"],
        ["-drp", "1"],
        ["-nofind_stream_info"],
    ],
)
def test_decoder_options_play_to_the_end(player, clip_short_ts, args):
    run = player.run(*args, "-vo", "null", "-autoexit", clip_short_ts, timeout=40)
    assert run.proc.returncode == 0, run.stderr()[-2000:]
    assert "Traceback" not in run.stderr()
    frames = _frames(run)
    assert frames and frames[-1]["pts"] >= 5.5, (args, frames[-1:] if frames else None)


def test_unknown_decoder_is_one_line_and_exit_1(player, clip_short_ts):
    run = player.run("-vcodec", "nosuch", "-vo", "null", "-an", clip_short_ts, timeout=30)
    assert run.proc.returncode == 1
    errors = [line for line in run.stderr().splitlines() if "nosuch" in line]
    assert errors == ["pyffplay: Unknown decoder 'nosuch'"], run.stderr()


def test_hwaccel_without_a_device_notes_it_and_decodes_in_software(player, clip_short_ts):
    run = player.run("-hwaccel", "auto", "-vo", "null", "-autoexit", "-t", "1", clip_short_ts, timeout=30)
    assert run.proc.returncode == 0, run.stderr()[-2000:]
    notes = [line for line in run.stderr().splitlines() if "hardware decoding unavailable" in line]
    assert len(notes) == 1 and notes[0].endswith("decoding in software"), run.stderr()
    assert len(_frames(run)) >= 20


def test_lowres_halves_the_decoded_size(mpeg2_clip):
    sizes = {}
    for lowres in (0, 1):
        seen = set()
        with pyffplay.Player(
            str(mpeg2_clip),
            vo="null",
            autoexit=True,
            lowres=lowres,
            on_frame=lambda f, pts, seen=seen: seen.add((f.width, f.height)),
        ) as p:
            p.play()
            assert p.wait(WAIT) == "eof", p.error
        sizes[lowres] = seen
    assert sizes == {0: {(320, 240)}, 1: {(160, 120)}}


def test_bytes_seeking_on_a_transport_stream(clip_short_ts):
    """-bytes -1 seeks MPEG-TS by bytes (ffplay's choice for discontinuous timestamps):
    a seek lands by byte offset and the clock picks up the new position from the frames."""
    events = []
    with pyffplay.Player(
        str(clip_short_ts), vo="null", ao="null", on_event=lambda n, d: events.append((n, d))
    ) as p:
        p.play()
        _wait_until(lambda: p.position is not None, WAIT, what="playing")
        assert p._vs is not None and p._vs.control.info.seek_by_bytes
        start = p.position
        p.send(Seek(3.0))
        _wait_until(lambda: any(n == "seek" for n, _ in events), WAIT, what="the seek")
        _wait_until(lambda: p.position is not None and p.position > start + 1.5, WAIT, what="forward")
        p.send(SeekFraction(0.1))
        _wait_until(lambda: sum(n == "seek" for n, _ in events) == 2, WAIT, what="the fraction seek")
        _wait_until(lambda: p.position is not None and p.position < 2.0, WAIT, what="back near the start")
    seeks = [d for n, d in events if n == "seek"]
    assert all(d["target"] is None for d in seeks), seeks  # a byte offset has no time


def test_bytes_zero_seeks_by_time(clip_short_ts):
    with pyffplay.Player(str(clip_short_ts), vo="null", ao="null", bytes=0) as p:
        p.play()
        _wait_until(lambda: p.position is not None, WAIT, what="playing")
        assert p._vs is not None and not p._vs.control.info.seek_by_bytes

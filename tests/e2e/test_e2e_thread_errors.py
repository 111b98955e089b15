"""A failure in any thread is handled one way (pyffplay/errors.py): the stream that failed
is dropped and playback goes on when another audio or video stream can play, else
playback ends with one line and exit 1. Never a traceback, an internal message, a frozen
picture or an -autoexit that waits forever.

A bug in a decoder thread or in the audio callback has no real trigger a test can
provoke, so these tests arm the documented test-only hook PYFFPLAY_TEST_FAULT=WHERE:N
(errors.inject_fault), which raises in that thread on its N-th pass. Everything else is
real: the player, the window, the PulseAudio null sink.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.observe import _wait_until, non_status_lines

CLIP_SECONDS = 4.0
END_TOLERANCE = 0.3
INTERNAL = re.compile(r"Traceback|\b\w+Error\b|\bthread\b|FaultInjected|PYFFPLAY_TEST_FAULT")
# No banner or stream dump: pyffplay's own lines only (FFmpeg logs nothing for clean clips).
QUIET = ["-hide_banner", "-loglevel", "warning"]


def _fault(spec: str) -> dict:
    return {"PYFFPLAY_TEST_FAULT": spec}


def _lines(run) -> list[str]:
    """pyffplay's own stderr lines (FFmpeg may log what it made of a cut packet)."""
    lines = non_status_lines(run.stderr())
    ours = [ln for ln in lines if ln.startswith("pyffplay: ")]
    for line in lines:
        assert not INTERNAL.search(line), f"internal detail reaches the user: {line!r}"
    return ours


def _thread_error(run) -> dict:
    errors = run.events("thread_error")
    assert len(errors) == 1, errors
    assert "FaultInjected" in errors[0]["detail"] and "Traceback" in errors[0]["detail"]
    return errors[0]


def _last(run, ev: str, key: str) -> float:
    values = [e[key] for e in run.events(ev) if e.get(key) is not None]
    assert values, f"no {ev} events with {key}"
    return max(values)


@pytest.mark.e2e
def test_video_decoder_failure_plays_on_with_audio_and_clears_the_picture(player, x11, clip_short):
    run = player.start("-autoexit", *QUIET, clip_short, env=_fault("video:30"))
    wid = x11.find_window(str(clip_short), proc=run.proc)
    _wait_until(lambda: "video decoding failed" in run.stderr(), 20, what="the video decoder failure")
    # Not a frozen picture: the window goes black while the audio plays on.
    _wait_until(lambda: float(np.mean(x11.screenshot(wid))) < 8.0, 5, 0.1, what="a black window")
    assert run.wait(CLIP_SECONDS + 20) == 0, run.stderr()[-1500:]
    assert _lines(run) == ["pyffplay: warning: video decoding failed; playing on without video"]
    assert _thread_error(run)["where"] == "video"
    assert _last(run, "frame", "pts") < 2.0  # pictures stopped at the failure (frame 30)
    assert _last(run, "audio", "clock") >= CLIP_SECONDS - END_TOLERANCE


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["audio", "audio_output"])
def test_audio_failure_plays_on_with_video(player, clip_short, where):
    run = player.run(
        "-autoexit", *QUIET, "-vo", "null", clip_short, env=_fault(f"{where}:40"), timeout=CLIP_SECONDS + 20
    )
    assert run.proc.returncode == 0, run.stderr()[-1500:]
    what = "audio decoding" if where == "audio" else "the audio output"
    assert _lines(run) == [f"pyffplay: warning: {what} failed; playing on without audio"]
    assert _thread_error(run)["where"] == where
    assert _last(run, "frame", "pts") >= CLIP_SECONDS - 1 / 30 - END_TOLERANCE


@pytest.mark.e2e
@pytest.mark.parametrize(
    "where,args,message",
    [
        ("audio", ["-vn"], "audio decoding failed (internal error)"),
        ("audio_output", ["-vn"], "the audio output failed (internal error)"),
        ("video", ["-an"], "video decoding failed (internal error)"),
        ("read", [], "reading the input failed (internal error)"),
    ],
    ids=["audio-decoder-audio-only", "audio-callback-audio-only", "video-decoder-video-only", "read-thread"],
)
@pytest.mark.parametrize("autoexit", [True, False], ids=["autoexit", "no-autoexit"])
def test_failure_with_nothing_left_to_play_ends_with_one_line(
    player, clip_short, where, args, message, autoexit
):
    run = player.run(
        *(["-autoexit"] if autoexit else []),
        *QUIET,
        "-vo",
        "null",
        *args,
        clip_short,
        env=_fault(f"{where}:20"),
        timeout=15,
    )
    assert run.proc.returncode == 1, run.stderr()[-1500:]
    assert _lines(run) == [f"pyffplay: {message}"]
    assert _thread_error(run)["where"] == where
    # It ends at the failure, not at the end of the clip (nor never, without -autoexit).
    exit_t = run.events("exit")[0]["t"]
    assert exit_t - run.events("thread_error")[0]["t"] < 2.0


@pytest.mark.e2e
def test_input_reader_failure_plays_what_was_read_then_one_line(player, media):
    """The pipe reader (memory_avio) fails half-way through the input: what FFmpeg got
    plays, then the player ends with the reader's line and exit 1. (An MP4 with its moov
    atom first opens from its first bytes; -avio_mem 256k keeps the reader at most
    256 KiB ahead, so it fails while the player plays.)"""
    clip = media.clip(
        "faststart360.mp4", duration=6.0, width=640, height=360, fps=30, keyint=30, moov_at_end=False
    )
    half = clip.stat().st_size // 2
    run = player.run(
        "-autoexit",
        *QUIET,
        "-vo",
        "null",
        "-avio_mem",
        "256k",
        "-",
        input_cmd=["cat", clip],
        env=_fault(f"input:{half}"),
        timeout=30,
    )
    assert run.proc.returncode == 1, run.stderr()[-1500:]
    assert _lines(run) == ["pyffplay: pipe:: reading the input failed (internal error)"]
    assert _thread_error(run)["where"] == "read"
    assert 1.0 < _last(run, "frame", "pts") < 6.0 - 1.0  # played what was read, not all


@pytest.mark.e2e
def test_debug_loglevel_prints_the_detail(player, clip_short):
    run = player.run(
        "-autoexit",
        "-hide_banner",
        "-vo",
        "null",
        "-an",
        "-loglevel",
        "debug",
        clip_short,
        env=_fault("video:5"),
        timeout=15,
    )
    assert run.proc.returncode == 1
    err = run.stderr()
    trace_at = err.find("Traceback")
    assert trace_at >= 0 and "FaultInjected" in err
    assert err.count("pyffplay: video decoding failed (internal error)") == 1
    assert err.find("pyffplay: video decoding failed (internal error)") > trace_at

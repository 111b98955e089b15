"""-vf / -af end to end: what the window shows (screenshots read back by frame index) and
what the sink plays; w cycling several -vf; a mirrored display matrix."""

from __future__ import annotations

import fractions
import time

import av
import numpy as np
import pytest

from tests.e2e.test_e2e_audio import TONE_RMS
from tests.media import _Painter, decode_frame_index
from tests.observe import _wait_until


def _index(rgb) -> int:
    return decode_frame_index(np.ascontiguousarray(rgb))


def _plausible(index: int) -> bool:
    return 0 < index < 30 * 40  # an index row read right: a frame of the clip


def _still(x11, wid):
    """A screenshot of the paused picture (two equal shots in a row)."""

    def look():
        a = x11.screenshot(wid)
        b = x11.screenshot(wid)
        return [a] if np.array_equal(a, b) else None

    return _wait_until(look, 10, 0.1, what="a still picture")[0]


def test_vf_hflip_mirrors_the_picture(player, x11, clip_short):
    title = "pyffplay-vf-hflip"
    run = player.start("-vf", "hflip", "-window_title", title, clip_short)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    x11.key(wid, "p")
    shot = _still(x11, wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    mirrored = _index(shot[:, ::-1])
    assert _plausible(mirrored), mirrored
    assert _index(shot) != mirrored  # as stored, the row reads differently


def test_window_takes_the_filtered_size(player, x11, clip_short):
    title = "pyffplay-vf-scale"
    run = player.start("-vf", "scale=320:180", "-window_title", title, clip_short)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(0.5, timeout=20)
    assert x11.geometry(wid)[2:] == (320, 180)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]


def test_w_cycles_through_several_vf(player, x11, clip_long):
    title = "pyffplay-vf-cycle"
    run = player.start("-vf", "hflip", "-vf", "vflip", "-window_title", title, clip_long)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    assert _plausible(_index(x11.screenshot(wid)[:, ::-1]))
    x11.key(wid, "w")
    # the pictures decoded after the key come through the second chain
    _wait_until(lambda: _plausible(_index(x11.screenshot(wid)[::-1, :])), 10, 0.1, what="vflip after w")
    # after the last -vf, w goes on to the audio show modes (ffplay), then back to the
    # picture with the first -vf
    x11.key(wid, "w")
    _wait_until(lambda: [e["mode"] for e in run.events("show_mode")] == ["waves"], 10, what="waves")
    x11.key(wid, "w")
    x11.key(wid, "w")
    _wait_until(
        lambda: [e["mode"] for e in run.events("show_mode")] == ["waves", "rdft", "video"],
        10,
        what="the picture again",
    )
    _wait_until(lambda: _plausible(_index(x11.screenshot(wid)[:, ::-1])), 10, 0.1, what="hflip again")
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]


def test_bad_filter_is_one_line_and_exit_1(player, clip_short):
    run = player.run("-vf", "nosuch", "-autoexit", clip_short, timeout=30)
    assert run.proc.returncode == 1
    lines = [ln for ln in run.stderr().replace("\r", "\n").splitlines() if ln.startswith("pyffplay:")]
    assert lines == ["pyffplay: Error initializing filter 'nosuch': no filter nosuch"], lines
    run = player.run("-vf", "[in]hflip[out]", "-autoexit", clip_short, timeout=30)
    assert run.proc.returncode == 1
    assert "link labels are not supported" in run.stderr()


def test_af_volume_halves_what_the_sink_plays(player, audio_monitor, clip_short):
    mon = audio_monitor()
    run = player.start("-af", "volume=0.5", "-autoexit", clip_short)
    rc = run.wait(30)
    mon.stop()
    assert rc == 0, run.stderr()[-2000:]
    t0 = [e for e in run.trace() if e["ev"] == "frame"][0]["t"]
    level = mon.rms_between(t0 + 0.5, t0 + 3.0)
    assert abs(level - TONE_RMS / 2) < 0.25 * TONE_RMS / 2, f"RMS {level:.4f}, wanted {TONE_RMS / 2:.4f}"


@pytest.fixture(scope="session")
def mirrored_clip(media):
    """2 s at 320x180 whose display matrix says: mirror left-right (no rotation)."""
    path = media.path("mirrored.mp4")
    if path.exists():
        return path
    painter = _Painter(320, 180)
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = 320, 180, "yuv420p"
        st.options = {"preset": "ultrafast"}
        st.set_display_rotation(0, hflip=True)
        for i in range(60):
            f = av.VideoFrame.from_ndarray(painter.frame(i), format="yuv420p")
            f.pts, f.time_base = i, fractions.Fraction(1, 30)
            out.mux(st.encode(f))
        out.mux(st.encode(None))
    return path


def test_mirrored_display_matrix_is_honoured(player, x11, mirrored_clip):
    title = "pyffplay-mirror"
    run = player.start("-window_title", title, mirrored_clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    time.sleep(0.5)
    x11.key(wid, "p")
    shot = _still(x11, wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    assert _plausible(_index(shot[:, ::-1])), "the picture is not mirrored"

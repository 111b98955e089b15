"""Audio show modes (waves, RDFT), w cycling, -showmode, and cover art, as a person sees
them: window screenshots and terminal cells."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from tests.media import audio_samples
from tests.observe import _wait_until
from tests.player_proc import RENDERERS


@pytest.fixture(scope="session")
def mp3_plain(media):
    return media.audio_only("tone.mp3", duration=6.0)


@pytest.fixture(scope="session")
def mp3_cover(media):
    """3 s of the test tone with a 320x200 PNG cover: red with a green box in the middle."""
    path = media.path("cover.mp3")
    if path.exists():
        return path
    with av.open(str(path), "w") as out:
        a = out.add_stream("libmp3lame", rate=48000)
        a.layout = "stereo"
        v = out.add_stream("png")
        v.width, v.height, v.pix_fmt = 320, 200, "rgb24"
        v.disposition = av.stream.Disposition.attached_pic
        img = np.zeros((200, 320, 3), np.uint8)
        img[:, :, 0] = 255
        img[50:150, 100:220] = (0, 255, 0)
        for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")) + v.encode(None):
            out.mux(p)
        pos = 0
        while pos < 48000 * 3:
            mono = audio_samples(pos, 1152, 48000)
            af = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = 48000, pos, fractions.Fraction(1, 48000)
            for p in a.encode(af):
                out.mux(p)
            pos += 1152
        for p in a.encode(None):
            out.mux(p)
    return path


def _lit(shot) -> np.ndarray:
    return shot.max(axis=2) > 40


def test_audio_without_a_picture_shows_the_scrolling_spectrum(player, x11, mp3_plain):
    title = "pyffplay-rdft"
    run = player.start("-window_title", title, mp3_plain)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.5, timeout=20)
    assert x11.geometry(wid)[2:] == (640, 480)  # ffplay's default window
    first = x11.screenshot(wid)
    _wait_until(
        lambda: _lit(x11.screenshot(wid)).sum() > _lit(first).sum() + 200,
        10,
        0.1,
        what="the spectrum to grow column by column",
    )
    shot = x11.screenshot(wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    lit_rows = np.flatnonzero(_lit(shot).sum(axis=1) > 20)
    # the 440 Hz tone: a bright line low in the picture (lowest frequencies at the bottom)
    assert lit_rows.size and lit_rows.max() >= 480 - 40, lit_rows
    assert _lit(shot).sum(axis=0).astype(bool).sum() > 20  # many columns drawn


@pytest.mark.parametrize("renderer", RENDERERS)
def test_w_cycles_video_waves_rdft_and_back(player, x11, clip_long, renderer):
    title = f"pyffplay-showmodes-{renderer}"
    run = player.start("-renderer", renderer, "-window_title", title, clip_long)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    for expected in ("waves", "rdft", "video"):
        x11.key(wid, "w")
        _wait_until(
            lambda e=expected: [m["mode"] for m in run.events("show_mode")][-1:] == [e],
            10,
            what=f"show mode {expected}",
        )
        if expected == "waves":
            # white bars around each channel's centre line, blue line between the channels
            def waves_seen():
                shot = x11.screenshot(wid)
                white = (shot.min(axis=2) > 200).sum(axis=1)
                blue = (shot[:, :, 2] > 200) & (shot[:, :, 0] < 50)
                return white.sum() > 500 and blue.sum(axis=1).max() > 300

            _wait_until(waves_seen, 10, 0.1, what="the waveform")
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]


def test_showmode_option_and_rdftspeed(player, x11, clip_short):
    title = "pyffplay-showmode-waves"
    run = player.start("-showmode", "1", "-rdftspeed", "40", "-window_title", title, clip_short)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    _wait_until(lambda: (x11.screenshot(wid).min(axis=2) > 200).sum() > 500, 15, 0.1, what="waves")
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]


def test_cover_art_is_shown_the_size_of_the_cover(player, x11, mp3_cover):
    title = "pyffplay-cover"
    run = player.start("-window_title", title, mp3_cover)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(0.5, timeout=20)
    assert x11.geometry(wid)[2:] == (320, 200)
    shot = x11.screenshot(wid)
    x11.key(wid, "Right")  # a seek shows the cover again
    run.wait_clock(0.5, timeout=20)
    after = x11.screenshot(wid)
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]
    for img in (shot, after):
        assert tuple(img[20, 20]) == pytest.approx((255, 0, 0), abs=40)
        assert tuple(img[100, 160]) == pytest.approx((0, 255, 0), abs=40)


def test_terminal_shows_the_spectrum_of_audio(term, mp3_plain):
    run = term.start_player(mp3_plain)
    run.wait_playing(1.5)

    def drawn():
        scr = term.screen()
        return scr.picture_rect() is not None and int(np.abs(scr.bg).sum() + np.abs(scr.fg).sum()) > 0

    _wait_until(drawn, 10, 0.1, what="spectrum cells")
    term.keys("q")
    assert run.wait_exit() == 0

"""Subtitles drawn, end to end: screenshots of the window while a clip plays, each read back
by its frame index, tell whether a subtitle is on screen at the right frames, where and how
large; the terminal's subtitle row in tmux.

The bitmap tracks are PGS (tests/pgs.py, in Matroska) and DVB (tests/dvbsub.py, in MPEG-TS):
a green box with a blue border. The text
track is SubRip. The test video ("still" scene) never shows the box's green or pure white in
its lower part, and carries its frame index in its top row.
"""

from __future__ import annotations

import contextlib
import subprocess

import numpy as np
import pytest

from tests.media import decode_frame_index
from tests.media_subs import (
    dark_mask,
    green_mask,
    make_dvb_ts,
    make_subtitled,
    pgs_cues,
    white_mask,
    write_srt,
    write_sup,
)
from tests.observe import _wait_until
from tests.player_proc import RENDERERS

FPS = 30
W, H = 640, 360
CUES = [(1.5, 3.0), (4.0, 7.5)]  # seconds: two cues, the second long (for t)
TEXT_CUES = [(1.5, 3.0, "Subtitle one"), (4.0, 7.5, "The second subtitle line")]
SLACK = 2  # frames: a screenshot may catch the window between a picture and its subtitle


@pytest.fixture(scope="session")
def pgs_clip(media):
    path = media.path("pgs.mkv")
    if not path.exists():
        cues, _ = pgs_cues(W, H, CUES)
        sup = write_sup(media.path("pgs.sup"), (W, H), cues)
        make_subtitled(path, sup, duration=8.0, width=W, height=H, fps=FPS)
    return path


@pytest.fixture(scope="session")
def dvb_clip(media):
    """DVB on a canvas twice the video's size (its display definition): the box lands where
    PGS puts it on the video-sized canvas."""
    path = media.path("dvb.ts")
    if not path.exists():
        cues, _ = pgs_cues(2 * W, 2 * H, CUES)
        make_dvb_ts(path, cues, duration=8.0, width=W, height=H, fps=FPS, canvas=(2 * W, 2 * H))
    return path


@pytest.fixture(scope="session")
def srt_file(media):
    return write_srt(media.path("text.srt"), TEXT_CUES)


@pytest.fixture(scope="session")
def srt_clip(media, srt_file):
    path = media.path("srt.mkv")
    if not path.exists():
        make_subtitled(path, srt_file, duration=8.0, width=W, height=H, fps=FPS)
    return path


@pytest.fixture(scope="session")
def plain_clip(media, srt_clip):
    """The same video without subtitles (for -sub)."""
    path = media.path("plain.mkv")
    if not path.exists():
        import av

        with av.open(str(srt_clip)) as src, av.open(str(path), "w", format="matroska") as out:
            o = out.add_stream_from_template(src.streams.video[0])
            for p in src.demux(src.streams.video[0]):
                if p.size:
                    p.stream = o
                    out.mux(p)
    return path


def _index(shot: np.ndarray) -> int:
    return decode_frame_index(np.ascontiguousarray(shot[..., :3]))


def _watch(run, x11, wid, until_index: int, timeout: float = 40.0):
    """Screenshots while the clip plays: [(frame index, rgb)] until ``until_index``."""
    shots: list[tuple[int, np.ndarray]] = []

    def look():
        try:
            shot = x11.screenshot(wid)
        except subprocess.CalledProcessError:
            # The window went away: the clip ended while a slow (loaded) machine was still
            # taking pictures of it. The shots so far are what the test has.
            if run.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    run.proc.wait(5)
            if run.poll() is None:
                raise
            return True
        idx = _index(shot)
        if not 0 <= idx <= 8 * FPS:
            return run.poll() is not None  # not a picture of the clip yet (an empty window)
        shots.append((idx, shot[..., :3]))
        return idx >= until_index or run.poll() is not None

    _wait_until(look, timeout, 0.02, what=f"frame {until_index}")
    return shots


def _box_green(shot: np.ndarray) -> np.ndarray:
    """The box's green, looked for in the middle half of the width (where the box is: the
    video has a green patch at its left edge)."""
    mask = green_mask(shot)
    w = shot.shape[1]
    mask[:, : w // 4] = False
    mask[:, w * 3 // 4 :] = False
    return mask


def _in_cue(idx: int, cues, slack: int = SLACK) -> bool | None:
    """True inside a cue, False outside, None within ``slack`` frames of a cue's edge."""
    for a, b, *_ in cues:
        a_i, b_i = round(a * FPS), round(b * FPS)
        if abs(idx - a_i) <= slack or abs(idx - b_i) <= slack:
            return None
        if a_i < idx < b_i:
            return True
    return False


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def _has_text(shot: np.ndarray) -> bool:
    """White glyph pixels with dark outline pixels in the lower fifth, around the centre."""
    h, w = shot.shape[:2]
    region = shot[h * 4 // 5 :, w // 5 : w * 4 // 5]
    return int(white_mask(region).sum()) > 30 and int(dark_mask(region).sum()) > 30


def _check_timing(shots, shown, cues):
    inside = [idx for idx, shot in shots if _in_cue(idx, cues) is True]
    outside = [idx for idx, shot in shots if _in_cue(idx, cues) is False]
    assert inside and outside, f"screenshots missed the cues: {[i for i, _ in shots]}"
    wrong_in = [idx for idx, shot in shots if _in_cue(idx, cues) is True and not shown(shot)]
    wrong_out = [idx for idx, shot in shots if _in_cue(idx, cues) is False and shown(shot)]
    assert not wrong_in, f"no subtitle at frames {wrong_in} (inside a cue)"
    assert not wrong_out, f"a subtitle at frames {wrong_out} (outside every cue)"


@pytest.mark.parametrize(
    "clip, renderer", [("pgs_clip", "software"), ("dvb_clip", "software"), ("pgs_clip", "gpu")]
)
def test_bitmap_subtitle_shows_at_its_times_in_place_and_scale(player, x11, request, clip, renderer):
    """PGS in Matroska, DVB in MPEG-TS: the same box at the same frames, scaled 1.5 times."""
    title = f"pyffplay-subs-{clip}-{renderer}"
    path = request.getfixturevalue(clip)
    run = player.start(
        "-renderer", renderer, "-x", "960", "-y", "540", "-window_title", title, "-autoexit", path
    )
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    shots = _watch(run, x11, wid, until_index=round(7.8 * FPS))
    assert run.wait(20) == 0, run.stderr()[-2000:]
    _check_timing(shots, lambda s: _box_green(s).sum() > 100, CUES)
    # Place and scale: the box's rect on the 640x360 canvas, times 1.5 (the window is 960x540).
    _, (x, y, bw, bh) = pgs_cues(W, H, CUES)
    boxes = [_bbox(_box_green(shot)) for idx, shot in shots if _in_cue(idx, CUES) is True]
    # The green fill lies inside a 2-pixel border (3 pixels once scaled).
    expected = (round(x * 1.5) + 3, round(y * 1.5) + 3, round(bw * 1.5) - 6, round(bh * 1.5) - 6)
    for got in boxes:
        assert got is not None, "no box"
        assert all(abs(g - e) <= 3 for g, e in zip(got, expected, strict=True)), (got, expected)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_text_subtitle_shows_white_outlined_at_the_bottom_at_its_times(player, x11, srt_clip, renderer):
    title = f"pyffplay-subs-srt-{renderer}"
    run = player.start("-renderer", renderer, "-window_title", title, "-autoexit", srt_clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    shots = _watch(run, x11, wid, until_index=round(7.8 * FPS))
    assert run.wait(20) == 0, run.stderr()[-2000:]
    _check_timing(shots, _has_text, TEXT_CUES)
    # Bottom-centred: the white glyphs' box is centred horizontally, in the lower part.
    for idx, shot in shots:
        if _in_cue(idx, TEXT_CUES) is True:
            box = _bbox(white_mask(shot[H // 2 :]))
            assert box is not None
            cx = box[0] + box[2] / 2
            assert abs(cx - W / 2) < W * 0.05, (idx, box)
            assert box[1] + H // 2 > H * 0.7, (idx, box)


def test_sn_shows_no_subtitle(player, x11, pgs_clip):
    title = "pyffplay-subs-sn"
    run = player.start("-sn", "-window_title", title, "-autoexit", "-t", "3.5", pgs_clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    shots = _watch(run, x11, wid, until_index=round(3.2 * FPS))
    assert run.wait(20) == 0, run.stderr()[-2000:]
    inside = [idx for idx, shot in shots if _in_cue(idx, CUES) is True]
    assert inside, "no screenshot inside the cue"
    assert not [idx for idx, shot in shots if _box_green(shot).sum() > 100]


def test_t_turns_the_subtitle_off_at_once(player, x11, pgs_clip):
    title = "pyffplay-subs-t"
    run = player.start("-window_title", title, pgs_clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    # Wait for the long second cue, then cycle subtitles: one stream, so t turns them off.
    _wait_until(
        lambda: (lambda s: _index(s) > 4.3 * FPS and _box_green(s[..., :3]).sum() > 100)(x11.screenshot(wid)),
        30,
        0.05,
        what="the second cue on screen",
    )
    x11.key(wid, "t")
    _wait_until(lambda: run.events("stream"), 10, what="the stream event")

    def gone():
        shot = x11.screenshot(wid)
        return [_index(shot)] if _box_green(shot[..., :3]).sum() == 0 else None

    (idx,) = _wait_until(gone, 10, 0.05, what="the subtitle gone")
    assert idx < 7.0 * FPS, f"the subtitle went only at frame {idx} (its end is {7.5 * FPS:.0f})"
    switch = run.events("stream")
    assert [(e["type"], e["from"], e["to"]) for e in switch] == [("subtitle", 1, -1)], switch
    x11.key(wid, "q")
    assert run.wait(10) == 0, run.stderr()[-2000:]


def test_sub_file_is_shown_and_cycles_with_t(player, x11, plain_clip, srt_file):
    title = "pyffplay-subs-file"
    run = player.start("-sub", srt_file, "-window_title", title, "-autoexit", plain_clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    shots = _watch(run, x11, wid, until_index=round(3.5 * FPS))
    _check_timing(shots, _has_text, TEXT_CUES[:1])
    x11.key(wid, "t")  # the only subtitle stream (#1, after the video): off
    _wait_until(lambda: run.events("stream"), 10, what="the stream event")
    x11.key(wid, "t")  # and on again
    _wait_until(lambda: len(run.events("stream")) >= 2, 10, what="the second stream event")
    shots = _watch(run, x11, wid, until_index=round(6.0 * FPS))
    assert run.wait(20) == 0, run.stderr()[-2000:]
    assert [(e["from"], e["to"]) for e in run.events("stream")] == [(1, -1), (-1, 1)]
    assert any(_has_text(s) for idx, s in shots if _in_cue(idx, TEXT_CUES) is True), (
        "the external subtitle did not come back after t"
    )


def test_bad_sub_file_is_one_line_and_exit_1(player, plain_clip, tmp_path):
    run = player.run("-sub", tmp_path / "missing.srt", "-autoexit", plain_clip, timeout=30)
    assert run.proc.returncode == 1
    lines = [ln for ln in run.stderr().replace("\r", "\n").splitlines() if ln.startswith("pyffplay:")]
    assert lines == [f"pyffplay: {tmp_path / 'missing.srt'}: No such file or directory"], lines


def test_terminal_shows_the_subtitle_line_above_the_status(term, srt_clip, pgs_clip):
    run = term.start_player("-vo", "terminal", srt_clip)

    def subtitle_row():
        scr = term.screen()
        return scr.row_text(scr.rows - 2).strip()

    _wait_until(lambda: subtitle_row() == "Subtitle one", 30, 0.05, what="the first cue's line")
    _wait_until(
        lambda: subtitle_row() != "Subtitle one" and "Subtitle one" not in term.text(),
        10,
        0.05,
        what="the first cue gone",
    )
    _wait_until(lambda: subtitle_row() == "The second subtitle line", 10, 0.05, what="the second cue's line")
    term.keys("q")
    assert run.wait_exit() == 0
    # A bitmap subtitle is blended into the picture's cells.
    run = term.start_player("-vo", "terminal", pgs_clip)

    def green_cells():
        scr = term.screen()
        rect = scr.picture_rect()
        return rect is not None and int(_box_green(scr.picture_rgb()).sum()) > 4

    _wait_until(green_cells, 30, 0.05, what="the box's green in the cells")
    term.keys("q")
    assert run.wait_exit() == 0


def test_api_lists_the_sub_file_as_a_stream(plain_clip, srt_file):
    import pyffplay

    with pyffplay.Player(str(plain_clip), vo="null", ao="null", autoexit=True, t=1, sub=str(srt_file)) as p:
        p.play()
        _wait_until(lambda: p.streams, 20, what="the streams")
        assert [(s["index"], s["type"], s["codec"], s["selected"]) for s in p.streams] == [
            (0, "video", "h264", True),
            (1, "subtitle", "srt", True),
        ], p.streams
        assert p.wait(30) == "eof", p.error

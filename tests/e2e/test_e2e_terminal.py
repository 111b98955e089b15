"""The terminal video output, driven in a real terminal: tmux.

Each test gets its own tmux server (private socket) with one 160x50 pane running
``bash --norc --noprofile`` without DISPLAY, with PULSE_SERVER from the fixture and
PYTHONPATH pointing at the repo. Commands are typed with ``send-keys``, keys too; the
screen is read with ``capture-pane -p`` (text) and ``capture-pane -p -e`` (with the SGR
colour sequences, parsed back into a cell grid, so the picture's frame index can be read
from the cells the player drew).

The shell's PROMPT_COMMAND appends ``$?`` to a file at every prompt: a new line there
means a command ended (or was stopped), with its status. ``stty -g`` is typed into the
same pane before and after each run and the two outputs must be identical.

The trace (-trace_file) is block-buffered by the player, so it is read after the exit;
live progress comes from the status line on the pane's bottom row.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from tests.e2e.tmux_term import (
    CMD_TIMEOUT,
    COLS,
    HALF_BLOCK,
    QUIT_BUDGET,
    ROWS,
    WIDE_RECT,
    PaneRun,
    Screen,
    Term,
    _poll,
    _proc_stat,
    parse_status,
)

# ---------------------------------------------------------------------------------------
# clips
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def clip_wide(media):
    """10 s 640x360 (16:9) 30 fps, a keyframe a second."""
    return media.clip(duration=10.0, width=640, height=360, fps=30, keyint=30)


@pytest.fixture(scope="session")
def clip_43(media):
    """4 s 640x480 (4:3): narrower than the pane, so it is centred horizontally."""
    return media.clip(duration=4.0, width=640, height=480, fps=30, keyint=30)


@pytest.fixture(scope="session")
def clip_tiny(media):
    """2.5 s 320x180 for -autoexit."""
    return media.clip(duration=2.5, width=320, height=180, fps=30, keyint=30)


@pytest.fixture(scope="session")
def clip_seek(media):
    """80 s 320x180 10 fps, a keyframe a second: room for +60 s seeks, quick to make."""
    return media.clip(duration=80.0, width=320, height=180, fps=10, keyint=10)


# ---------------------------------------------------------------------------------------
# checks shared by the tests
# ---------------------------------------------------------------------------------------


def _finish(term: Term, run: PaneRun, stty_before: str, reason: str, timeout: float = CMD_TIMEOUT) -> dict:
    """After the player ends: clean exit, terminal as before, trace closed with reason."""
    rc = run.wait_exit(timeout)
    term.assert_main_screen(f"after the exit ({reason})")
    text = term.text()
    assert "Traceback" not in text, text
    ex = run.exit_event()
    assert ex["reason"] == reason, ex
    assert term.stty() == stty_before, "stty -g differs after the player"
    if reason in ("quit", "eof"):
        assert rc == 0, f"exit status {rc}:\n{text}"
    return ex


def _wait_still(run: PaneRun, timeout: float) -> float:
    """Wait until the status clock reads the same twice 100 ms apart; return it."""
    last = [None]

    def look():
        s = run.status()
        same = s is not None and last[0] is not None and s[0] == last[0][0]
        last[0] = s
        return s[0] if same else None

    return _poll(look, timeout, "the clock to stop", interval=0.1)


def _screen_when(term: Term, pred, timeout: float, what: str, rect: tuple | None = None) -> Screen:
    """Poll captures until one shows a whole picture (``rect`` when given) and satisfies
    ``pred(screen, frame_index)``.

    A capture can catch the player in the middle of writing a frame (tmux 3.3 does not
    hold output back for the synchronized-output mode), so one capture is not a verdict:
    a wrong index read from a half-drawn screen must not fail the test, a wrong picture
    shown for ``timeout`` does.
    """
    seen = []

    def look():
        scr = term.screen()
        r = scr.picture_rect()
        if r is None or (rect is not None and r != rect):
            seen.append(r)
            return None
        idx = scr.frame_index()
        seen.append((r, idx, scr.row_text(ROWS - 1).strip()))
        return scr if pred(scr, idx) else None

    try:
        return _poll(look, timeout, what, interval=0.02)
    except AssertionError as e:
        raise AssertionError(f"{e}; last captures (rect, index, status): {seen[-4:]}") from None


def _still_index(term: Term, timeout: float = 2.0) -> int:
    """The frame index of a picture that stays the same over two captures."""
    last = [None]

    def look():
        scr = term.screen()
        if scr.picture_rect() != WIDE_RECT:
            last[0] = None
            return None
        rows = [scr.row_text(r) for r in range(ROWS - 1)]
        same = last[0] is not None and last[0][0] == rows and np.array_equal(last[0][1], scr.picture_rgb())
        last[0] = (rows, scr.picture_rgb())
        return ("idx", scr.frame_index()) if same else None

    return _poll(look, timeout, "a still picture", interval=0.05)[1]


def _index_matches_status(fps: int, tolerance: float = 0.25):
    def pred(scr: Screen, idx: int) -> bool:
        st = parse_status(scr.row_text(ROWS - 1))
        return st is not None and abs(idx / fps - st[0]) <= tolerance

    return pred


def _wait_picture_near(term: Term, seconds: float, fps: int, since: float, timeout: float = 8.0) -> int:
    """Wait for the picture on the screen to be a frame within 1.6 s of ``seconds``, or
    later by as long as it has played since the key (``since``): on a loaded machine the
    first capture that shows the new place may come seconds after it was reached.

    The picture, not the status line: the status shows the master (audio) clock, which
    may reach the seek target before the first video frame of the new position is shown.
    """

    def near(scr: Screen, idx: int) -> bool:
        played = min(time.monotonic() - since, 6.0)  # seeks are >= 10 s: never the old place
        return seconds - 1.6 < idx / fps < seconds + 1.6 + played

    scr = _screen_when(term, near, timeout, f"a picture near {seconds:.1f} s", rect=WIDE_RECT)
    return scr.frame_index()


def _clock_at(frames: list[dict], t: float) -> float:
    before = [f for f in frames if f["t"] <= t]
    assert before, "no frame before the request"
    f = before[-1]
    return f["pts"] + (t - f["t"])


def _check_seek(trace: list[dict], t_key: float, incr: float, keyint: float) -> dict:
    frames = [e for e in trace if e["ev"] == "frame"]
    seeks = [e for e in trace if e["ev"] == "seek" and e["t_req"] >= t_key - 0.005]
    assert seeks, f"no seek event after the key at {t_key}: {[e for e in trace if e['ev'] == 'seek']}"
    sk = seeks[0]
    assert sk["t_req"] - t_key < 0.5, f"seek requested {sk['t_req'] - t_key:.3f}s after the key"
    expected = max(0.0, _clock_at(frames, sk["t_req"]) + incr)
    assert abs(sk["target"] - expected) <= 0.35, (sk, expected)
    new = [f for f in frames if f["serial"] == sk["serial"]]
    assert new, f"no frame of the seek's serial {sk['serial']}"
    assert abs(new[0]["pts"] - sk["target"]) <= keyint + 0.05, (
        f"first frame after the seek at pts {new[0]['pts']}, target {sk['target']}"
    )
    assert sk["t"] - sk["t_req"] <= 1.0, f"seek took {sk['t'] - sk['t_req']:.3f}s"
    return sk


# ---------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------


def test_truecolor_picture_fills_the_width_centred_with_status_on_the_bottom_row(term, clip_wide):
    assert term.shell('test -z "$DISPLAY$WAYLAND_DISPLAY"') == 0, "a display is set"
    before = term.stty()
    run = term.start_player(clip_wide)
    run.wait_playing(1.5)
    assert not term.cursor_visible(), "cursor shown while playing"
    scr = term.screen()

    # colours: 24-bit SGR only, half-block cells
    assert "rgb" in scr.sgr_modes and "256" not in scr.sgr_modes, scr.sgr_modes
    rect = scr.picture_rect()
    assert rect is not None, "no half-block cells on the screen"
    x, y, w, h = rect
    area = ROWS - 1
    assert rect == WIDE_RECT, f"picture at {rect} (x, y, w, h), expected {WIDE_RECT}"
    for r in range(y, y + h):
        assert "".join(scr.chars[r][x : x + w]) == HALF_BLOCK * w, f"row {r} is not all cells"
    for r in list(range(0, y)) + list(range(y + h, area)):
        assert not scr.row_text(r), f"row {r} outside the picture is not blank"

    # the status line on the bottom row, master clock first, ffplay's format
    st = parse_status(scr.row_text(ROWS - 1))
    assert st is not None, f"no status line on the bottom row: {scr.row_text(ROWS - 1)!r}"
    assert st[1] == "A-V", st

    # it is the video: the frame index read from the cells follows the clock
    _screen_when(
        term,
        _index_matches_status(30),
        2.0,
        "the frame index on the screen to match the status clock",
        rect=WIDE_RECT,
    )

    t0 = term.keys("q")
    ex = _finish(term, run, before, "quit")
    print(f"q -> exit event {ex['t'] - t0:.3f}s, -> prompt seen {run.t_prompt - t0:.3f}s")
    assert ex["t"] - t0 <= QUIT_BUDGET, f"q took {ex['t'] - t0:.3f}s to the exit event"
    assert run.t_prompt - t0 <= QUIT_BUDGET, f"prompt back {run.t_prompt - t0:.3f}s after q"


def test_256_colours_when_forced_and_4_3_is_centred_horizontally(term, clip_43):
    before = term.stty()
    run = term.start_player("-term_colors", "256", clip_43)
    run.wait_playing(1.0)
    scr = term.screen()
    assert "256" in scr.sgr_modes and "rgb" not in scr.sgr_modes, scr.sgr_modes
    x, y, w, h = scr.picture_rect()
    # 640x480 in 160 x 49: full height, 2 * 49 * 4/3 = 130.7 cells wide
    assert h == ROWS - 1 and y == 0, (x, y, w, h)
    assert abs(w - 2 * 49 * 4 / 3) <= 1, (x, y, w, h)
    left, right = x, COLS - (x + w)
    assert abs(left - right) <= 1, f"not centred: {left=} {right=}"
    for r in range(y, y + h):
        assert "".join(scr.chars[r][x : x + w]) == HALF_BLOCK * w, f"row {r} is not all cells"
        margins = "".join(scr.chars[r][:x]) + "".join(scr.chars[r][x + w :])
        assert not margins.strip(), f"row {r}: something beside the picture: {margins!r}"
    st = parse_status(scr.row_text(ROWS - 1))
    assert st is not None, scr.row_text(ROWS - 1)
    _screen_when(
        term,
        _index_matches_status(30),
        2.0,
        "the frame index on the screen to match the status clock",
        rect=(x, y, w, h),
    )

    t0 = term.keys("q")
    ex = _finish(term, run, before, "quit")
    assert ex["t"] - t0 <= QUIT_BUDGET, f"q took {ex['t'] - t0:.3f}s to the exit event"


def test_space_pauses_step_and_resume_and_other_keys(term, clip_wide):
    before = term.stty()
    run = term.start_player(clip_wide)
    run.wait_playing(1.0)

    t_pause = term.keys("Space")
    # the clock stops: once it has settled, it does not move for a second
    frozen = _wait_still(run, 2.0)
    idx_paused = _still_index(term)
    t_end = time.monotonic() + 1.0
    while time.monotonic() < t_end:
        s = run.status()
        assert s is not None and s[0] == frozen, f"clock moved while paused: {s} vs {frozen}"
        time.sleep(0.05)
    assert _still_index(term) == idx_paused, "the picture changed while paused"

    # s: one frame forward, still paused
    t_step = term.keys("s")
    idx_step = _poll(
        lambda: (lambda i: i if i != idx_paused else None)(_still_index(term)), 2.0, "the stepped frame"
    )
    assert idx_step in (idx_paused + 1, idx_paused + 2), f"step went from frame {idx_paused} to {idx_step}"
    s1 = run.status()
    time.sleep(0.3)  # nothing to poll for: checking that nothing happens
    assert run.status() == s1 and _still_index(term) == idx_step, "not paused after s"

    # second space: playing again, from where it stopped
    t_resume = term.keys("Space")
    run.wait_status(lambda c: c >= frozen + 0.3, 3.0, "the clock to move after resume")

    # m, 9, 0 reach the player as commands
    term.keys("m")
    term.keys("9")
    term.keys("0")
    term.keys("m")
    t0 = term.keys("q")
    ex = _finish(term, run, before, "quit")
    assert ex["t"] - t0 <= QUIT_BUDGET, f"q took {ex['t'] - t0:.3f}s"

    tr = run.trace()
    pauses = [e for e in tr if e["ev"] == "pause"]
    assert [p["paused"] for p in pauses] == [True, False], pauses
    assert t_pause <= pauses[0]["t"] <= t_pause + 0.5, (t_pause, pauses[0])
    assert t_resume <= pauses[1]["t"] <= t_resume + 0.5, (t_resume, pauses[1])
    frames = [e for e in tr if e["ev"] == "frame"]
    stepped = [f for f in frames if t_step <= f["t"] < t_resume]
    assert 1 <= len(stepped) <= 2, f"{len(stepped)} frames shown for one step: {stepped}"
    paused_frames = [f for f in frames if pauses[0]["t"] + 0.1 < f["t"] < t_step]
    assert not paused_frames, f"frames shown while paused: {paused_frames[:3]}"
    after = [f for f in frames if f["t"] > pauses[1]["t"]]
    assert len(after) >= 5 and after[0]["pts"] >= stepped[-1]["pts"], after[:3]
    cmds = [e["command"] for e in tr if e["ev"] == "command"]
    for expected in (["mute"], ["volume", -1], ["volume", 1]):
        assert expected in cmds, f"{expected} not in the commands {cmds}"
    assert ["step"] in cmds, cmds


def test_arrows_seek_and_escape_quits(term, clip_seek):
    before = term.stty()
    run = term.start_player(clip_seek)
    run.wait_playing(1.0)
    keys = []
    for key, incr in (("Right", 10), ("Up", 60), ("Left", -10), ("Down", -60)):
        c = run.status()[0]
        expected = max(0.0, c + incr)
        t = term.keys(key)
        keys.append((t, incr))
        _wait_picture_near(term, expected, fps=10, since=t)
    t0 = term.keys("Escape")
    ex = _finish(term, run, before, "quit")
    # a lone ESC is only known after the decoder's 50 ms escape timeout
    assert ex["t"] - t0 <= QUIT_BUDGET + 0.05, f"ESC took {ex['t'] - t0:.3f}s"

    tr = run.trace()
    serials = []
    for t, incr in keys:
        sk = _check_seek(tr, t, incr, keyint=1.0)
        serials.append(sk["serial"])
    assert serials == sorted(set(serials)), f"seek serials not increasing: {serials}"


def test_piped_input_takes_keys_from_the_terminal(term, clip_seek):
    before = term.stty()
    run = term.start_player("-", pipe_from=clip_seek)
    run.wait_playing(1.0)
    c = run.status()[0]
    t_seek = term.keys("Right")
    _wait_picture_near(term, c + 10, fps=10, since=t_seek)
    t0 = term.keys("q")
    ex = _finish(term, run, before, "quit")
    assert ex["t"] - t0 <= QUIT_BUDGET, f"q took {ex['t'] - t0:.3f}s"
    _check_seek(run.trace(), t_seek, 10, keyint=1.0)


def test_autoexit_at_the_end_restores_the_terminal_256_colours_by_default(make_term, clip_tiny):
    term = make_term(colorterm=None)  # TERM from tmux, no COLORTERM: 256 colours
    assert "direct" not in term.tmux("show-options", "-gv", "default-terminal")
    before = term.stty()
    run = term.start_player("-autoexit", clip_tiny)
    run.wait_playing(0.5)
    scr = term.screen()
    assert "256" in scr.sgr_modes and "rgb" not in scr.sgr_modes, scr.sgr_modes
    _finish(term, run, before, "eof", timeout=10)
    frames = run.events("frame")
    assert frames and frames[-1]["pts"] >= 2.5 - 0.1, frames[-1:]


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_signals_quit_and_restore_the_terminal(term, clip_wide, how):
    before = term.stty()
    run = term.start_player(clip_wide)
    run.wait_playing(1.0)
    t0 = time.monotonic()
    if how == "SIGINT":
        term.keys("C-c")  # from the terminal, to the foreground process group
    else:
        os.kill(run.pid, signal.SIGTERM)
    ex = _finish(term, run, before, "signal")
    assert ex["t"] - t0 <= 1.0, f"{how} took {ex['t'] - t0:.3f}s"


def test_ctrl_z_gives_the_terminal_back_and_fg_resumes(term, clip_wide):
    before = term.stty()
    run = term.start_player(clip_wide)
    run.wait_playing(1.5)
    pid = run.pid

    c_stop = run.status()[0]
    t_stop = term.keys("C-z")
    rc, _ = term.wait_prompt(run.prompt_index)
    assert rc == 128 + signal.SIGTSTP or rc == 128 + signal.SIGSTOP, rc
    _poll(lambda: (_proc_stat(pid) or ("?",))[0] == "T", 2.0, "process state T")
    term.assert_main_screen("stopped by Ctrl-Z")
    assert "Stopped" in term.text(), term.text()
    assert term.stty() == before, "stty differs while the player is stopped"
    assert (_proc_stat(pid) or ("?",))[0] == "T", "no longer stopped"
    # The picture it stopped on: the pause command flushed the trace's frames. Under load
    # it may have played on a little after the status line read c_stop.
    shown = run.events("frame")
    c_stop = shown[-1]["pts"] if shown else c_stop

    run.prompt_index = len(term.prompts())
    term.type("fg")
    t_fg = time.monotonic()
    run.wait_status(lambda c: True, 5.0, "the status line after fg")
    assert term.alternate_on(), "not on the alternate screen after fg"
    assert not term.cursor_visible(), "cursor shown after fg"
    # fg cleared the screen: a whole picture again, from where it stopped
    _screen_when(
        term,
        lambda scr, idx: abs(idx / 30 - c_stop) < 0.6,
        3.0,
        f"the picture near {c_stop:.2f} s redrawn after fg",
        rect=WIDE_RECT,
    )
    _screen_when(
        term,
        lambda scr, idx: idx / 30 >= c_stop + 0.5 and _index_matches_status(30)(scr, idx),
        4.0,
        "the picture to play on after fg",
        rect=WIDE_RECT,
    )

    t0 = term.keys("q")
    ex = _finish(term, run, before, "quit")
    assert ex["t"] - t0 <= QUIT_BUDGET, f"q took {ex['t'] - t0:.3f}s"

    frames = run.events("frame")
    before_stop = [f for f in frames if f["t"] < t_stop]
    # the last picture before fg is the one it stopped on (under load the player may show
    # a few more between the Ctrl-Z keypress and the signal's handling)
    stopped_on = [f for f in frames if f["t"] < t_fg]
    after_fg = [f for f in frames if f["t"] > t_fg]
    assert before_stop and len(after_fg) >= 10, (len(before_stop), len(after_fg))
    pts = [f["pts"] for f in after_fg]
    # the redraw on fg shows the frame it stopped on again, then playback goes on
    assert all(b >= a for a, b in zip(pts, pts[1:])), f"pts going back after fg: {pts}"
    repeats = sum(b == a for a, b in zip(pts, pts[1:]))
    assert repeats <= 2, f"{repeats} repeated frames after fg: {pts}"
    assert abs(pts[0] - stopped_on[-1]["pts"]) <= 0.5, (
        f"resumed at {pts[0]}, stopped at {stopped_on[-1]['pts']}"
    )
    assert pts[-1] - pts[0] >= 0.4, pts

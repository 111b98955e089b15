"""Drive a playing window with real keys, mouse clicks and signals."""

import math
import signal
import time

import pytest

from tests.media import decode_frame_index

FPS = 30
FRAME = 1.0 / FPS
KEYINT_S = 1.0  # the clips have a keyframe every second


def _start(player, x11, clip, title, *extra, clock=1.5):
    run = player.start("-window_title", title, *extra, clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(clock, timeout=20)
    return run, wid


def _quit(run, x11, wid):
    if run.poll() is None:
        x11.key(wid, "q")
    rc = run.wait(10)
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert rc == 0, err[-2000:]


def _last_clock(run):
    lines = run.status_lines()
    assert lines, "no status line"
    return lines[-1]


def _clock_at(frames, t):
    """The video clock at monotonic time t, from the last frame shown before t."""
    before = [f for f in frames if f["t"] <= t]
    assert before, "no frame shown before the request"
    f = before[-1]
    return f["pts"] + (t - f["t"])


def _shown_index(x11, wid):
    return decode_frame_index(x11.screenshot(wid))


def _check_seek(run, t_key0, t_key1, expected_target, tol_target=0.35):
    tr = run.trace()
    frames = [e for e in tr if e["ev"] == "frame"]
    seeks = [e for e in tr if e["ev"] == "seek" and e["t_req"] >= t_key0 - 0.01]
    assert len(seeks) >= 1, f"no seek event after the key; seeks: {[e for e in tr if e['ev'] == 'seek']}"
    sk = seeks[0]
    assert sk["t_req"] <= t_key1 + 0.3, f"seek requested {sk['t_req'] - t_key1:.3f}s late"
    if callable(expected_target):
        expected_target = expected_target(frames, sk["t_req"])
    assert abs(sk["target"] - expected_target) <= tol_target, (sk, expected_target)
    new = [f for f in frames if f["serial"] == sk["serial"]]
    assert new, f"no frame with the seek's serial {sk['serial']}"
    first = new[0]
    assert abs(first["t"] - sk["t"]) < 0.02, (first, sk)
    assert abs(first["pts"] - sk["target"]) <= KEYINT_S + 0.05, (
        f"first frame after seek has pts {first['pts']}, target {sk['target']}"
    )
    assert sk["t"] - sk["t_req"] <= 1.0, f"seek took {sk['t'] - sk['t_req']:.3f}s"
    stale = [f for f in frames if f["t"] > sk["t"] and f["serial"] < sk["serial"]]
    assert not stale, f"{len(stale)} frames of the old serial after the seek: {stale[:3]}"
    return sk, new


def test_pause_stops_the_clock_and_resume_continues(player, x11, clip_long):
    run, wid = _start(player, x11, clip_long, "pyffplay-pause")
    p0, p1 = x11.key(wid, "p")
    time.sleep(0.3)
    s_a = _last_clock(run)
    time.sleep(1.0)
    s_b = _last_clock(run)
    r0, r1 = x11.key(wid, "space")
    run.wait_status(lambda s: s.clock > s_b.clock + 0.5, 5, "the clock to move after resume")
    _quit(run, x11, wid)

    assert abs(s_b.clock - s_a.clock) < 0.05, f"clock moved while paused: {s_a.raw!r} -> {s_b.raw!r}"
    tr = run.trace()
    pauses = [e for e in tr if e["ev"] == "pause"]
    on = [e for e in pauses if e["paused"] is True and p0 - 0.01 <= e["t"] <= p1 + 0.5]
    off = [e for e in pauses if e["paused"] is False and r0 - 0.01 <= e["t"] <= r1 + 0.5]
    assert on, f"no pause event after 'p': {pauses}"
    assert off, f"no resume event after SPACE: {pauses}"
    t_on, t_off = on[0]["t"], off[0]["t"]
    frames = [e for e in tr if e["ev"] == "frame"]
    shown = [f["pts"] for f in frames if f["t"] <= t_on]
    assert shown
    pts_paused = shown[-1]
    during = [f for f in frames if t_on + 0.05 < f["t"] < t_off and f["pts"] > pts_paused + 1e-3]
    assert not during, f"{len(during)} new frames while paused, first {during[0]}"
    after = [f for f in frames if f["t"] > t_off]
    assert after, "no frame after resume"
    assert pts_paused < after[0]["pts"] <= pts_paused + 0.2, (
        f"paused at pts {pts_paused}, resumed at {after[0]['pts']}"
    )
    assert t_off - t_on >= 1.0


def test_right_arrow_seeks_forward(player, x11, clip_long):
    run, wid = _start(player, x11, clip_long, "pyffplay-right", clock=2.0)
    k0, k1 = x11.key(wid, "Right")
    s = run.wait_status(lambda s: s.clock >= 10.5, 5, "the clock to jump forward")
    time.sleep(0.5)
    _quit(run, x11, wid)
    sk, new = _check_seek(run, k0, k1, lambda fr, t: _clock_at(fr, t) + 10.0)
    assert abs(s.clock - sk["target"]) < 1.5, (s.raw, sk)
    # playback goes on from there in real time
    assert new[-1]["pts"] - new[0]["pts"] >= 0.3


def test_left_arrow_seeks_back(player, x11, clip_long):
    run, wid = _start(player, x11, clip_long, "pyffplay-left", "-ss", "12", clock=13.5)
    k0, k1 = x11.key(wid, "Left")
    run.wait_status(lambda s: s.clock < 9.0, 5, "the clock to jump back")
    time.sleep(0.5)
    _quit(run, x11, wid)
    _check_seek(run, k0, k1, lambda fr, t: _clock_at(fr, t) - 10.0)


def test_right_click_seeks_to_fraction_of_width(player, x11, clip_long):
    run, wid = _start(player, x11, clip_long, "pyffplay-click", clock=1.0)
    _x, _y, w, h = x11.geometry(wid)
    k0, k1 = x11.click(wid, w // 2, h // 2, button=3)
    run.wait_status(lambda s: s.clock >= 13.5, 5, "the clock to jump to the middle")
    time.sleep(0.3)
    _quit(run, x11, wid)
    _check_seek(run, k0, k1, 15.0, tol_target=0.5)


def test_step_while_paused_shows_one_frame_per_press(player, x11, clip_long):
    run, wid = _start(player, x11, clip_long, "pyffplay-step")
    p0, _ = x11.key(wid, "p")
    time.sleep(0.5)
    shots = [_shown_index(x11, wid)]
    presses = []
    for _ in range(3):
        presses.append(x11.key(wid, "s"))
        time.sleep(0.5)
        shots.append(_shown_index(x11, wid))
    time.sleep(0.5)
    s_a = _last_clock(run)
    time.sleep(0.5)
    s_b = _last_clock(run)
    shots.append(_shown_index(x11, wid))
    q0, _ = x11.key(wid, "q")
    run.wait(10)
    assert run.proc.returncode == 0, run.stderr()[-2000:]
    assert "Traceback" not in run.stderr()

    assert shots[1:4] == [shots[0] + 1, shots[0] + 2, shots[0] + 3], (
        f"window showed frames {shots} (paused, then after each 's')"
    )
    assert shots[4] == shots[3], f"frame changed after the last step: {shots}"
    assert abs(s_b.clock - s_a.clock) < 0.02, "clock moved after stepping: not paused"

    frames = [e for e in run.trace() if e["ev"] == "frame"]
    edges = [p[0] for p in presses] + [q0]
    before = [f for f in frames if f["t"] < edges[0]]
    prev = before[-1]["pts"]
    assert round(prev * FPS) == shots[0], (prev, shots[0])
    for i in range(3):
        new = [f for f in frames if edges[i] <= f["t"] < edges[i + 1]]
        assert len(new) == 1, f"step {i + 1}: {len(new)} frames shown: {new}"
        assert abs(new[0]["pts"] - (prev + FRAME)) < 0.005, (prev, new[0])
        assert round(new[0]["pts"] * FPS) == shots[i + 1]
        prev = new[0]["pts"]


def test_seek_while_paused_shows_the_new_position(player, x11, clip_long):
    run, wid = _start(player, x11, clip_long, "pyffplay-pauseseek", clock=2.0)
    p0, p1 = x11.key(wid, "p")
    time.sleep(0.4)
    k0, k1 = x11.key(wid, "Right")
    time.sleep(1.0)
    shot = _shown_index(x11, wid)
    s_a = _last_clock(run)
    time.sleep(0.6)
    s_b = _last_clock(run)
    q0, _ = x11.key(wid, "q")
    run.wait(10)
    assert run.proc.returncode == 0, run.stderr()[-2000:]
    assert "Traceback" not in run.stderr()

    tr = run.trace()
    pauses = [e for e in tr if e["ev"] == "pause" and e["t"] >= p0 - 0.01 and e["t"] < q0]
    assert pauses and pauses[0]["paused"] is True, pauses
    assert pauses[-1]["paused"] is True, f"not paused at the end: {pauses}"
    sk, new = _check_seek(run, k0, k1, lambda fr, t: _clock_at_paused(fr, p0) + 10.0, tol_target=0.4)
    assert new[0]["t"] < q0
    assert round(new[-1]["pts"] * FPS) == shot, (new[-1], shot)
    late = [f for f in new if f["t"] > new[0]["t"] + 0.5]
    assert not late, f"frames kept coming after the paused seek: {late[:3]}"
    # ffplay's status line shows the new position here (e.g. "13.98 A-V:    nan")
    assert not math.isnan(s_a.clock), f"master clock is NaN while paused after the seek: {s_a.raw!r}"
    assert abs(s_b.clock - s_a.clock) < 0.02, (s_a.raw, s_b.raw)
    assert abs(s_a.clock - sk["target"]) <= KEYINT_S + 0.1, (s_a.raw, sk)


def _clock_at_paused(frames, t_pause):
    before = [f for f in frames if f["t"] <= t_pause + 0.05]
    return before[-1]["pts"]


@pytest.mark.parametrize("key", ["q", "Escape"])
def test_quit_key_exits_within_200ms(player, x11, clip_long, key):
    run, wid = _start(player, x11, clip_long, f"pyffplay-quit-{key}", clock=1.0)
    k0, k1 = x11.key(wid, key)
    t_exit = run.wait_exit_time(5)
    rc = run.wait(5)
    assert "Traceback" not in run.stderr()
    assert rc == 0, run.stderr()[-2000:]
    # 200 ms is the aim, measured by scripts/bench; a loaded two-core machine gets slack here
    assert t_exit - k1 <= 1.0, (
        f"exit {1000 * (t_exit - k1):.0f} ms after xdotool returned "
        f"({1000 * (t_exit - k0):.0f} ms after it started; xdotool took "
        f"{1000 * (k1 - k0):.0f} ms)"
    )
    tr = run.trace()
    assert tr[-1]["ev"] == "exit" and tr[-1].get("reason") == "quit", tr[-1]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_quits_cleanly(player, x11, clip_long, sig):
    run, wid = _start(player, x11, clip_long, f"pyffplay-{sig.name}", clock=1.0)
    t0 = time.monotonic()
    run.signal(sig)
    t_exit = run.wait_exit_time(5)
    rc = run.wait(5)
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert rc == 0, f"exit code {rc}: {err[-1000:]!r}"
    assert t_exit - t0 < 1.0, f"took {t_exit - t0:.2f}s to exit on {sig.name}"
    tr = run.trace()
    assert tr[-1]["ev"] == "exit" and tr[-1].get("reason") == "signal", tr[-1]


def test_window_size_and_position_options(player, x11, clip_long):
    # (fullscreen cannot be checked here: without a window manager SDL's fullscreen
    # request changes nothing under Xvfb, for ffplay as well)
    run, wid = _start(
        player,
        x11,
        clip_long,
        "pyffplay-geom",
        "-x",
        "800",
        "-y",
        "450",
        "-left",
        "100",
        "-top",
        "50",
        clock=0.5,
    )
    geom = x11.geometry(wid)
    _quit(run, x11, wid)
    assert geom == (100, 50, 800, 450), f"window geometry (x, y, w, h) = {geom}"

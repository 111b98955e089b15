"""The key matrix in the window (SDL under Xvfb, keys and mouse through xdotool): every
command in every state (tests/e2e/key_matrix.py says how).

The window close is a real close request, as a window manager sends it for the close
button: a WM_PROTOCOLS/WM_DELETE_WINDOW ClientMessage (observe.send_wm_delete, libX11
through ctypes; this xdotool's ``windowclose`` destroys the window instead).
"""

from __future__ import annotations

import math
import signal
import time

import pytest

from tests.e2e import key_matrix
from tests.e2e.key_matrix import (
    CHAPTERS,
    DURATION,
    INPUTS,
    Q_LATENCIES,
    QUIT_BOUND,
    RESPOND_TRIES,
    RESPOND_WAIT,
    RIGHT_CLICK_AT,
    STATES,
    WINDOW_SEQUENCE,
    assert_commands_executed,
    behind_seeks,
    blocked_reading_stdin,
    events_tail,
    seek_check,
    silent_pipe,
    status_clock,
    wait_commands_settled,
)
from tests.observe import _run, _wait_until, list_windows

pytestmark = pytest.mark.e2e

# the shared module-scoped fixtures
clips = key_matrix.clips
report_latencies = key_matrix.report_latencies

WINDOW_QUITS = ("q", "Escape", "SIGINT", "SIGTERM", "close")


def _window_combos():
    """Every input in every state; the quit method rotates so that each input and each
    state meets every quit method once (a Latin square)."""
    out = []
    for i, inp in enumerate(INPUTS):
        for j, state in enumerate(STATES):
            how = WINDOW_QUITS[(i + j) % len(WINDOW_QUITS)]
            out.append(pytest.param(inp, state, how, id=f"{inp}-{state}-{how}"))
    return out


# The terminal shares the player with the window; what differs is the key decoding and


class WindowDriver:
    def __init__(self, run, x11, wid: int, where: str):
        self.run, self.x11, self.wid, self.where = run, x11, wid, where

    def alive(self, after: str):
        err = self.run.stderr()
        assert "Traceback" not in err, f"{self.where}: traceback after {after}:\n{err[-3000:]}"
        assert self.run.poll() is None, (
            f"{self.where}: player exited (code {self.run.proc.returncode}) after {after}; "
            f"stderr tail: {err[-1500:]!r}"
        )

    def _mouse_args(self, what: str) -> list[str]:
        _x, _y, w, h = self.x11.geometry(self.wid)
        if what == "<double-click>":
            return [
                "mousemove",
                "--window",
                str(self.wid),
                str(w // 2),
                str(h // 2),
                "click",
                "--repeat",
                "2",
                "--delay",
                "80",
                "1",
            ]
        return [
            "mousemove",
            "--window",
            str(self.wid),
            str(int(w * RIGHT_CLICK_AT)),
            str(h // 2),
            "click",
            "3",
        ]

    def send(self, sequence):
        """One xdotool call per key or click, the player checked after each."""
        self.x11.focus(self.wid)
        for key, _ in sequence:
            args = self._mouse_args(key) if key.startswith("<") else ["key", key]
            _run(["xdotool", *args], timeout=5, check=True)
            self.alive(key)

    def burst(self, sequence):
        """All of it in one xdotool call: the keys arrive a few ms apart."""
        self.x11.focus(self.wid)
        args: list[str] = []
        for key, _ in sequence:
            if key.startswith("<"):
                args += self._mouse_args(key)
            else:
                args += ["key", "--delay", "5", key]
        _run(["xdotool", *args], timeout=10, check=True)
        self.alive("the burst of keys")

    def right_click(self, frac: float):
        _x, _y, w, h = self.x11.geometry(self.wid)
        self.x11.click(self.wid, int(w * frac), h // 2, button=3)


def _wait_still(run, timeout: float) -> float:
    """Wait until the status clock reads the same twice 0.25 s apart."""
    last = [None]

    def look():
        assert run.poll() is None, f"player exited: {run.stderr()[-1500:]!r}"
        c = status_clock(run)
        same = not math.isnan(c) and last[0] == c
        last[0] = c
        return ("still", c) if same else None

    try:
        return _wait_until(look, timeout, 0.25, what="the clock to stop")[1]
    except TimeoutError as e:
        raise AssertionError(f"{e}; last status {status_clock(run)}") from None


def _wait_moving(run, timeout: float) -> None:
    c0 = status_clock(run)
    run.wait_status(lambda s: not math.isnan(s.clock) and s.clock != c0, timeout, "the clock to move")


def _set_state(drv: WindowDriver, state: str, has_video: bool):
    run = drv.run
    if state == "end":
        # Everything played: ffplay's clock runs on past the end (no audio callback sets
        # it any more), so "the end" is the clock past the media's duration.
        run.wait_clock(DURATION + 0.05, timeout=15)
        return
    run.wait_clock(0.5, timeout=20)
    if state in ("paused", "stepped"):
        drv.send([("p", None)])
        _wait_still(run, 5.0)
    if state == "stepped":
        drv.send([("s", None)])
        if has_video:
            _wait_still(run, 5.0)  # one frame, then paused again
        else:
            _wait_moving(run, 5.0)  # no picture to stop on: a step resumes (as ffplay)


def _back_to_windowed(drv: WindowDriver) -> None:
    """Toggle once more if the sequence left the player in full screen: two clicks that a
    loaded machine handles more than 0.5 s apart are not a double click, so the toggles
    can come out odd. Without a window manager (Xvfb here) SDL's full screen changes only
    the size SDL believes the window has, and a click would map to the wrong fraction."""
    run = drv.run
    wait_commands_settled(run)

    def toggles() -> int:
        return sum(1 for e in run.trace() if e["ev"] == "command" and e["command"] == ["fullscreen"])

    n = toggles()
    if n % 2:
        drv.send([("f", None)])
        _wait_until(lambda: toggles() > n or None, 10.0, 0.05, what="the extra fullscreen toggle")


def _check_responds(drv: WindowDriver, pipe: bool):
    """A seek still lands: a right click near an edge of the window, or Up / Down on a
    pipe (its duration is unknown, so a click has no time to go to: nothing happens).

    A seek asked while another is pending is dropped (ffplay's stream_seek does that too),
    and the sequence ends with seeks that may still be in flight: the seek is repeated,
    up to RESPOND_TRIES times, until one lands.
    """
    run = drv.run
    if not pipe:
        _back_to_windowed(drv)
    tries = []
    for _ in range(RESPOND_TRIES):
        c = status_clock(run)
        direction, lo, hi = seek_check(c)
        if pipe:
            what = "Up" if direction == "forward" else "Down"
            drv.send([(what, None)])
        else:
            what = "a right click"
            drv.right_click(0.95 if direction == "forward" else 0.05)
        try:
            run.wait_status(
                lambda s, lo=lo, hi=hi: lo <= s.clock <= hi,
                RESPOND_WAIT,
                f"the clock in [{lo:.1f}, {hi:.1f}] after {what}",
            )
            return
        except AssertionError as e:
            if run.poll() is not None:
                raise
            tries.append(f"clock {c:.2f}, {what}: {e}")
    run.signal(signal.SIGTERM)
    run.wait(10)
    raise AssertionError(
        f"{drv.where}: no seek landed: {tries}; the player's last events: {events_tail(run.trace())}"
    )


def _quit_window(drv: WindowDriver, how: str) -> float:
    """Quit; returns seconds from the request (xdotool returned / signal sent) to exit."""
    run = drv.run
    if how in ("q", "Escape"):
        drv.x11.focus(drv.wid)
        _run(["xdotool", "key", how], timeout=5, check=True)
        t0 = time.monotonic()
    else:
        # A signal or a close request can overtake keys still in the X queue (a loaded
        # machine delivers them late), and nothing is taken after a quit: let them land.
        wait_commands_settled(run)
        if how == "close":
            t0 = drv.x11.close_request(drv.wid)
        else:
            t0 = time.monotonic()
            run.signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
    t_exit = run.wait_exit_time(10)
    return t_exit - t0


def _check_clean_exit(run, where: str, how: str, latency: float):
    rc = run.wait(5)
    err = run.stderr()
    assert "Traceback" not in err, f"{where}: traceback:\n{err[-3000:]}"
    assert rc == 0, f"{where}: exit code {rc}; stderr tail: {err[-1500:]!r}"
    bad = [ln for ln in run.other_stderr_lines() if "pyffplay:" in ln and "warning" not in ln]
    assert not bad, f"{where}: error lines on stderr: {bad}"
    Q_LATENCIES.append((where, how, latency))
    assert latency < QUIT_BOUND, f"{where}: {how} took {latency:.3f}s to exit"
    ex = run.trace()[-1]
    want = "signal" if how.startswith("SIG") else "quit"
    assert ex["ev"] == "exit" and ex.get("reason") == want, f"{where}: last trace event {ex}"


@pytest.mark.parametrize("inp,state,how", _window_combos())
def test_window_every_key_in_every_state(player, x11, clips, inp, state, how):
    path, has_video, _has_audio = clips[inp]
    where = f"window {inp}/{state}"
    title = f"pyffplay-matrix-{inp}-{state}"
    args = ["-window_title", title]
    if state == "end":
        args += ["-ss", str(DURATION - 1.0)]
    if inp == "pipe":
        run = player.start(*args, "-", input_cmd=["cat", path])
    else:
        run = player.start(*args, path)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    drv = WindowDriver(run, x11, wid, where)
    _set_state(drv, state, has_video)
    if state == "seeking":
        drv.burst(behind_seeks(WINDOW_SEQUENCE, "Right", "Left"))
    else:
        drv.send(WINDOW_SEQUENCE)
    _check_responds(drv, pipe=inp == "pipe")
    latency = _quit_window(drv, how)
    _check_clean_exit(run, where, how, latency)
    assert_commands_executed(
        run.trace(), WINDOW_SEQUENCE, ["quit", "signal"] if how.startswith("SIG") else ["quit"]
    )


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_window_quits_while_a_pipe_has_sent_nothing(player, tmp_path, how):
    """No window is shown before the first picture: signals are how to quit."""
    with silent_pipe(tmp_path) as (_fifo, fd):
        run = player.start("-", stdin=fd)
        _wait_until(
            lambda: run.poll() is not None or blocked_reading_stdin(run.pid),
            20,
            what="the player to wait on its input pipe",
        )
        assert run.poll() is None, run.stderr()[-1500:]
        t0 = time.monotonic()
        run.signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
        latency = run.wait_exit_time(10) - t0
        _check_clean_exit(run, "window pipe/waiting", how, latency)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_signal_during_start_up_is_quiet(player, tmp_path, how):
    """A signal while SDL sets up the window (before the player's own handlers): no
    traceback, a clean exit."""
    title = f"pyffplay-startup-{how}"
    with silent_pipe(tmp_path) as (_fifo, fd):
        run = player.start("-window_title", title, "-", stdin=fd)
        # the window exists (hidden) as soon as SDL created it, before the renderer
        _wait_until(
            lambda: run.poll() is not None or any(name == title for _, name in list_windows()),
            20,
            what="the player's window to be created",
        )
        run.signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
        rc = run.wait(10)
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert rc == 0, f"exit code {rc}: {err[-1500:]!r}"


def test_page_keys_go_to_the_next_and_previous_chapter(player, x11, clips):
    """ffplay's seek_chapter: Page Up to the next chapter's start, Page Down to the one
    before the current."""
    path = clips["chapters"][0]
    title = "pyffplay-chapters"
    run = player.start("-window_title", title, path)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    drv = WindowDriver(run, x11, wid, "chapters")
    for key, lo, hi in (("Prior", 4.0, 7.0), ("Prior", 8.0, 11.0), ("Next", 4.0, 7.0), ("Next", 0.0, 3.0)):
        drv.send([(key, None)])
        run.wait_status(
            lambda s, lo=lo, hi=hi: lo - 0.05 <= s.clock <= hi, 5.0, f"the clock in [{lo}, {hi}] after {key}"
        )
        # settled inside the chapter, so the next key counts from it
        run.wait_status(lambda s, lo=lo: s.clock >= lo + 0.3, 5.0, "playback to go on")
    x11.key(wid, "q")  # not drv.send: it checks the player is alive after the key
    run.wait(10)
    assert run.proc.returncode == 0, run.stderr()[-1500:]
    seeks = [e for e in run.trace() if e["ev"] == "seek"]
    targets = [round(e["target"], 3) for e in seeks]
    assert targets == [4.0, 8.0, 4.0, 0.0], f"seek targets {targets} (chapters {CHAPTERS})"

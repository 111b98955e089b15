"""The key matrix in the terminal (-vo terminal in tmux, keys from /dev/tty): every state
on the file without chapters, two states on each other input, and the silent pipe
(tests/e2e/key_matrix.py says how).
"""

from __future__ import annotations

import math
import os
import signal
import time

import pytest

from tests.e2e import key_matrix
from tests.e2e.key_matrix import (
    DURATION,
    Q_LATENCIES,
    QUIT_BOUND,
    RESPOND_TRIES,
    RESPOND_WAIT,
    STATES,
    TERM_SEQUENCE,
    WINDOW_SEQUENCE,
    assert_commands_executed,
    behind_seeks,
    blocked_reading_stdin,
    events_tail,
    seek_check,
    silent_pipe,
)
from tests.e2e.tmux_term import CMD_TIMEOUT, PaneRun, Term, _poll

pytestmark = pytest.mark.e2e

# the shared module-scoped fixtures
clips = key_matrix.clips
report_latencies = key_matrix.report_latencies

TERM_QUITS = ("q", "Escape", "SIGINT", "SIGTERM")


# The terminal shares the player with the window; what differs is the key decoding and
# the output. To keep the matrix short: every state on the plain file, two on each other.
TERM_PICKS = [("nochapters", st) for st in STATES] + [
    ("chapters", "playing"),
    ("chapters", "stepped"),
    ("audio", "paused"),
    ("audio", "end"),
    ("video", "seeking"),
    ("video", "stepped"),
    ("pipe", "end"),
    ("pipe", "seeking"),
]


def _term_combos():
    return [
        pytest.param(
            inp, state, TERM_QUITS[k % len(TERM_QUITS)], id=f"{inp}-{state}-{TERM_QUITS[k % len(TERM_QUITS)]}"
        )
        for k, (inp, state) in enumerate(TERM_PICKS)
    ]


class TermDriver:
    def __init__(self, term: Term, run: PaneRun, err_path, where: str):
        self.term, self.run, self.err_path, self.where = term, run, err_path, where

    def stderr(self) -> str:
        try:
            return self.err_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self, after: str):
        if self.term.prompts()[self.run.prompt_index :]:
            raise AssertionError(
                f"{self.where}: the player ended after {after}; stderr: "
                f"{self.stderr()[-1500:]!r}\n{self.term.text()}"
            )

    def send(self, sequence):
        for key, _ in sequence:
            self.term.keys(key)
            self.alive(key)

    def burst(self, sequence):
        self.term.tmux("send-keys", "-t", "t", *[k for k, _ in sequence])
        self.alive("the burst of keys")

    def clock(self) -> float:
        s = self.run.status()
        return s[0] if s is not None else math.nan

    def wait_still(self, timeout: float) -> float:
        last = [None]

        def look():
            self.alive("waiting for the clock to stop")
            c = self.clock()
            same = not math.isnan(c) and last[0] == c
            last[0] = c
            return ("still", c) if same else None

        return _poll(look, timeout, f"{self.where}: the clock to stop", interval=0.25)[1]


def _term_set_state(drv: TermDriver, state: str, has_video: bool):
    run = drv.run
    if state == "end":
        run.wait_clock(DURATION + 0.05, timeout=15)
        return
    run.wait_clock(0.5, timeout=20)
    if state in ("paused", "stepped"):
        drv.send([("p", None)])
        drv.wait_still(5.0)
    if state == "stepped":
        drv.send([("s", None)])
        if has_video:
            drv.wait_still(5.0)
        else:
            c0 = drv.clock()
            run.wait_status(lambda c: c != c0, 5.0, "the clock to move after s")


def _term_check_responds(drv: TermDriver):
    """A seek still lands: Up (+60 s: to the end) or Down (-60 s: to the start); repeated
    up to RESPOND_TRIES times, as a seek asked while another is pending is dropped."""
    run = drv.run
    tries = []
    for _ in range(RESPOND_TRIES):
        c = drv.clock()
        direction, lo, hi = seek_check(c)
        key = "Up" if direction == "forward" else "Down"
        drv.term.keys(key)
        try:
            run.wait_status(
                lambda x, lo=lo, hi=hi: lo <= x <= hi, RESPOND_WAIT, f"the clock in [{lo}, {hi}] after {key}"
            )
            return
        except AssertionError as e:
            drv.alive(f"{key} (checking the player responds)")
            tries.append(f"clock {c:.2f}, {key}: {e}")
    drv.term.keys("q")
    run.wait_exit(CMD_TIMEOUT)
    raise AssertionError(
        f"{drv.where}: no seek landed: {tries}; the player's last events: {events_tail(run.trace())}"
    )


def _term_quit(drv: TermDriver, how: str) -> tuple[float, dict]:
    """Quit; returns (seconds from the request to the exit event, the exit event)."""
    if how == "SIGTERM":
        t0 = time.monotonic()
        os.kill(drv.run.pid, signal.SIGTERM)
    else:
        t0 = drv.term.keys({"q": "q", "Escape": "Escape", "SIGINT": "C-c"}[how])
    rc = drv.run.wait_exit(CMD_TIMEOUT)
    err = drv.stderr()
    text = drv.term.text()
    assert "Traceback" not in err and "Traceback" not in text, (
        f"{drv.where}: traceback:\n{err[-3000:]}\n{text}"
    )
    assert rc == 0, f"{drv.where}: exit status {rc}; stderr {err[-1500:]!r}"
    bad = [ln for ln in err.splitlines() if "pyffplay:" in ln and "warning" not in ln]
    assert not bad, f"{drv.where}: error lines on stderr: {bad}"
    drv.term.assert_main_screen(f"{drv.where} after {how}")
    ex = drv.run.exit_event()
    want = "signal" if how.startswith("SIG") else "quit"
    assert ex.get("reason") == want, f"{drv.where}: exit event {ex}"
    latency = ex["t"] - t0
    Q_LATENCIES.append((drv.where, how, latency))
    assert latency < QUIT_BOUND, f"{drv.where}: {how} took {latency:.3f}s"
    return latency, ex


@pytest.mark.parametrize("inp,state,how", _term_combos())
def test_terminal_every_key_in_every_state(term, clips, inp, state, how):
    path, has_video, _has_audio = clips[inp]
    where = f"terminal {inp}/{state}"
    err = term.workdir / f"{inp}-{state}.stderr"
    args = ["-vo", "terminal"]
    if state == "end":
        args += ["-ss", str(DURATION - 1.0)]
    redirect = f"2>{err}"
    if inp == "pipe":
        run = term.start_player(*args, "-", pipe_from=path, redirect=redirect)
    else:
        run = term.start_player(*args, path, redirect=redirect)
    drv = TermDriver(term, run, err, where)
    _term_set_state(drv, state, has_video)
    if state == "seeking":
        drv.burst(behind_seeks(TERM_SEQUENCE, "Right", "Left"))
    else:
        drv.send(TERM_SEQUENCE)
    _term_check_responds(drv)
    _term_quit(drv, how)
    want_quit = ["quit", "signal"] if how.startswith("SIG") else ["quit"]
    assert_commands_executed(run.trace(), TERM_SEQUENCE, want_quit)


def test_terminal_keys_and_q_while_a_pipe_has_sent_nothing(term, tmp_path):
    """Every key while the input has not said a word; then q still quits at once."""
    with silent_pipe(tmp_path) as (fifo, _fd):
        err = term.workdir / "waiting.stderr"
        run = term.start_player("-vo", "terminal", "-", redirect=f"2>{err} <{fifo}")
        drv = TermDriver(term, run, err, "terminal pipe/waiting")
        _poll(
            lambda: drv.alive("starting") or blocked_reading_stdin(run.pid),
            CMD_TIMEOUT,
            "the player to wait on its input pipe",
        )
        assert term.alternate_on(), "the player has not taken the terminal"
        drv.send(TERM_SEQUENCE)
        _term_quit(drv, "q")
    assert_commands_executed(run.trace(), TERM_SEQUENCE, ["quit"])


def test_ffplay_keys_are_all_in_the_matrix():
    """The matrix sends every command of the window's and of the terminal's key tables."""
    from pyffplay.commands import trace_form
    from pyffplay.keys import sdl_key_table
    from pyffplay.term_keys import KeyDecoder

    window = {tuple(trace_form(c)) for c in sdl_key_table(10.0).values()}
    sent = {tuple(c) for _, c in WINDOW_SEQUENCE} | {("quit",)}
    assert window <= sent, f"not in the window sequence: {window - sent}"
    terminal = {
        tuple(trace_form(c))
        for c in KeyDecoder(10.0).feed(
            b"qpmsf90/*avtcw \x1b[A\x1b[B\x1b[C\x1b[D\x1b[5~\x1b[6~\x1bOj\x1bOo", 0.0
        )
    }
    sent = {tuple(c) for _, c in TERM_SEQUENCE} | {("quit",)}
    assert terminal <= sent, f"not in the terminal sequence: {terminal - sent}"

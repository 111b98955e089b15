"""Every command in every state: the key matrix, end to end.

One real player per (input, state): the state is set up, then every key of the table
(and the mouse) is sent in sequence; the player must stay alive after each one (no
traceback on stderr), must have executed every command in order (its -trace_file), must
still answer a seek afterwards, and must quit promptly and cleanly. The quit method (q,
ESC, SIGINT, SIGTERM, a window close request) rotates over the matrix so that every
state and every input meets each of them once.

Inputs: an MKV with chapters, an MP4 without, audio only (M4A), video only, and an
MPEG-TS from a pipe. States: playing, paused, just after a frame step, in the middle of a
seek, at the end without -autoexit, and (pipe only) waiting on a pipe that has sent
nothing yet.

"In the middle of a seek": the keys go in one burst (a few ms apart), each one right
behind a seek key (Right, Left alternately), so that each finds a seek still in flight.

Keys are sent in an order that keeps the state for as long as possible: keys that change
nothing for playback first (mute, volume, stream cycling, show mode, fullscreen and the
double-click in pairs), then the pause pair (p, SPACE: back to the state), then the seeks
(each one finds the previous still in flight: mid-seek), then the step.

The window close is a real close request, as a window manager sends it for the close
button: a WM_PROTOCOLS/WM_DELETE_WINDOW ClientMessage (observe.send_wm_delete, libX11
through ctypes; this xdotool's ``windowclose`` destroys the window instead).

The same keys go to the terminal output (-vo terminal in tmux, keys from /dev/tty): every
state on the file without chapters, two states on each other input, and the silent pipe.

Quit latencies (request -> exit) are printed at the end of the module (pytest -s) and
asserted < 1.5 s only: the 200 ms target is measured, not a pass/fail bound on a shared
machine.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import signal
import struct
import time
from pathlib import Path

import pytest

from tests.e2e.tmux_term import CMD_TIMEOUT, PaneRun, Term, _poll
from tests.observe import _run, _wait_until, list_windows

pytestmark = pytest.mark.e2e

DURATION = 12.0
CHAPTERS = (0.0, 4.0, 8.0)
QUIT_BOUND = 1.5  # asserted; the measured figures are printed
KEYINT = 1.0

INPUTS = ("chapters", "nochapters", "audio", "video", "pipe")
STATES = ("playing", "paused", "stepped", "seeking", "end")
WINDOW_QUITS = ("q", "Escape", "SIGINT", "SIGTERM", "close")
TERM_QUITS = ("q", "Escape", "SIGINT", "SIGTERM")

# (xdotool key, the command the player executes); "<double-click>" and "<right-click>"
# are mouse actions.
NEUTRAL_KEYS = [
    ("m", ["mute"]),
    ("9", ["volume", -1]),
    ("0", ["volume", 1]),
    ("KP_Divide", ["volume", -1]),
    ("KP_Multiply", ["volume", 1]),
    ("m", ["mute"]),
    ("a", ["cycle", "audio"]),
    ("v", ["cycle", "video"]),
    ("t", ["cycle", "subtitle"]),
    ("c", ["cycle", "program"]),
    ("w", ["show_mode"]),
    ("f", ["fullscreen"]),
    ("f", ["fullscreen"]),
    ("<double-click>", ["fullscreen"]),
    ("<double-click>", ["fullscreen"]),
]
PAUSE_KEYS = [("p", ["pause"]), ("space", ["pause"])]
SEEK_KEYS = [
    ("Left", ["seek", -10.0]),
    ("Right", ["seek", 10.0]),
    ("Up", ["seek", 60.0]),
    ("Down", ["seek", -60.0]),
    ("Prior", ["seek_page", 1]),
    ("Next", ["seek_page", -1]),
    ("<right-click>", ["seek_frac"]),
]
STEP_KEYS = [("s", ["step"])]
WINDOW_SEQUENCE = NEUTRAL_KEYS + PAUSE_KEYS + SEEK_KEYS + STEP_KEYS
RIGHT_CLICK_AT = 0.3  # of the window width

# the same in the terminal (tmux key names); f does nothing there but is still a command
TERM_SEQUENCE = [
    ("m", ["mute"]),
    ("9", ["volume", -1]),
    ("0", ["volume", 1]),
    ("KP/", ["volume", -1]),
    ("KP*", ["volume", 1]),
    ("m", ["mute"]),
    ("a", ["cycle", "audio"]),
    ("v", ["cycle", "video"]),
    ("t", ["cycle", "subtitle"]),
    ("c", ["cycle", "program"]),
    ("w", ["show_mode"]),
    ("f", ["fullscreen"]),
    ("f", ["fullscreen"]),
    ("p", ["pause"]),
    ("Space", ["pause"]),
    ("Left", ["seek", -10.0]),
    ("Right", ["seek", 10.0]),
    ("Up", ["seek", 60.0]),
    ("Down", ["seek", -60.0]),
    ("PPage", ["seek_page", 1]),
    ("NPage", ["seek_page", -1]),
    ("s", ["step"]),
]

Q_LATENCIES: list[tuple[str, str, float]] = []  # (where, quit method, seconds)


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


@pytest.fixture(scope="module")
def clips(media):
    """name -> (path, has_video, has_audio); the pipe plays the MPEG-TS through cat."""
    small = {"duration": DURATION, "width": 320, "height": 180, "fps": 30, "keyint": 30}
    return {
        "chapters": (media.clip("matrix-chapters.mkv", chapters=CHAPTERS, **small), True, True),
        "nochapters": (media.clip("matrix-plain.mp4", **small), True, True),
        "audio": (media.audio_only("matrix-audio.m4a", duration=DURATION), False, True),
        "video": (media.clip("matrix-video.mp4", audio=False, **small), True, False),
        "pipe": (media.clip("matrix-pipe.ts", container="mpegts", **small), True, True),
    }


@pytest.fixture(scope="module", autouse=True)
def _report_latencies():
    yield
    if not Q_LATENCIES:
        return
    for label, kinds in (("q / ESC", ("q", "Escape")), ("signals and close", ("SIGINT", "SIGTERM", "close"))):
        ms = sorted(1000 * t for _, how, t in Q_LATENCIES if how in kinds)
        if ms:
            print(
                f"\n{label}: request -> exit over {len(ms)} runs: min {ms[0]:.0f} ms, "
                f"median {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms"
            )
    for where, how, t in Q_LATENCIES:
        print(f"  {where:32s} {how:8s} {1000 * t:6.0f} ms")


def _behind_seeks(sequence, forward: str, back: str) -> list:
    """Each key right behind a seek key (alternately forward and back, to stay inside the
    clip), for one burst: every key arrives while a seek is still in flight."""
    out = []
    for i, item in enumerate(sequence):
        out += [(forward if i % 2 == 0 else back, None), item]
    return out


def _cmd_matches(got: list, want: list) -> bool:
    if want[0] == "seek_frac":
        return got[0] == "seek_frac"
    return got == want


def _assert_commands_executed(trace: list[dict], sequence, before_quit: list):
    """Every command of the sequence, in order, then the quit, was handled by the player."""
    cmds = [e["command"] for e in trace if e["ev"] == "command"]
    i = 0
    for what, want in sequence:
        j = i
        while j < len(cmds) and not _cmd_matches(cmds[j], want):
            j += 1
        if j == len(cmds) and what == "<double-click>":
            # Two clicks more than 0.5 s apart are two single clicks (ffplay's rule): on a
            # loaded machine xdotool's 80 ms gap can stretch that far. Nothing to execute.
            continue
        assert j < len(cmds), f"command {want} not executed (in order); commands: {cmds}"
        i = j + 1
    assert cmds and cmds[-1] == before_quit, f"last command {cmds[-1:]}, want {before_quit}"


# ---------------------------------------------------------------------------------------
# the window (SDL under Xvfb, keys and mouse through xdotool)
# ---------------------------------------------------------------------------------------


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


def _clock(run) -> float:
    lines = run.status_lines()
    return lines[-1].clock if lines else math.nan


def _wait_still(run, timeout: float) -> float:
    """Wait until the status clock reads the same twice 0.25 s apart."""
    last = [None]

    def look():
        assert run.poll() is None, f"player exited: {run.stderr()[-1500:]!r}"
        c = _clock(run)
        same = not math.isnan(c) and last[0] == c
        last[0] = c
        return ("still", c) if same else None

    try:
        return _wait_until(look, timeout, 0.25, what="the clock to stop")[1]
    except TimeoutError as e:
        raise AssertionError(f"{e}; last status {_clock(run)}") from None


def _wait_moving(run, timeout: float) -> None:
    c0 = _clock(run)
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


RESPOND_TRIES = 3
RESPOND_WAIT = 3.0


def _events_tail(trace: list[dict], n: int = 25) -> list[dict]:
    """The last events other than frames, drops and audio callbacks: what the player did."""
    return [e for e in trace if e["ev"] not in ("frame", "drop", "audio")][-n:]


def _seek_check(c: float) -> tuple[str, float, float]:
    """(direction, lo, hi) for a seek that proves the player answered: far enough from the
    clock ``c`` that playing on for RESPOND_WAIT cannot get there by itself."""
    if math.isnan(c) or c < DURATION / 2:
        return "forward", DURATION - KEYINT - 1.0, math.inf
    return "back", -math.inf, 2.5


def _back_to_windowed(drv: WindowDriver) -> None:
    """Toggle once more if the sequence left the player in full screen: two clicks that a
    loaded machine handles more than 0.5 s apart are not a double click, so the toggles
    can come out odd. Without a window manager (Xvfb here) SDL's full screen changes only
    the size SDL believes the window has, and a click would map to the wrong fraction."""
    run = drv.run
    _wait_commands_settled(run)

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
        c = _clock(run)
        direction, lo, hi = _seek_check(c)
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
        f"{drv.where}: no seek landed: {tries}; the player's last events: {_events_tail(run.trace())}"
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
        _wait_commands_settled(run)
        if how == "close":
            t0 = drv.x11.close_request(drv.wid)
        else:
            t0 = time.monotonic()
            run.signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
    t_exit = run.wait_exit_time(10)
    return t_exit - t0


def _wait_commands_settled(run, quiet: float = 0.5, timeout: float = 10.0) -> None:
    """Until no new command has reached the trace for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = len([e for e in run.trace() if e["ev"] == "command"])
        if n != seen:
            seen, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


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
        drv.burst(_behind_seeks(WINDOW_SEQUENCE, "Right", "Left"))
    else:
        drv.send(WINDOW_SEQUENCE)
    _check_responds(drv, pipe=inp == "pipe")
    latency = _quit_window(drv, how)
    _check_clean_exit(run, where, how, latency)
    _assert_commands_executed(
        run.trace(), WINDOW_SEQUENCE, ["quit", "signal"] if how.startswith("SIG") else ["quit"]
    )


# read(2), poll(2), ppoll(2) syscall numbers
_SYSCALLS = {"x86_64": (0, 7, 271), "aarch64": (63, None, 73)}


def _blocked_reading_stdin(pid: int) -> bool:
    """True when a thread of ``pid`` sits in read(2) on its stdin pipe, or in poll(2)
    with that pipe among the descriptors (the memory AVIO's reader polls it). Reading
    the pollfd array from /proc/PID/mem needs ptrace rights (root, as the tests run)."""
    nrs = _SYSCALLS.get(platform.machine())
    assert nrs is not None, f"syscall numbers unknown on {platform.machine()}"
    read_nr, poll_nr, ppoll_nr = (str(n) for n in nrs)
    try:
        stdin = os.readlink(f"/proc/{pid}/fd/0")
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False

    def is_stdin(fd: int) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/fd/{fd}") == stdin
        except OSError:
            return False

    for tid in tasks:
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()
            if len(fields) < 3:
                continue
            if fields[0] == read_nr and is_stdin(int(fields[1], 16)):
                return True
            if fields[0] in (poll_nr, ppoll_nr):
                addr, nfds = int(fields[1], 16), int(fields[2], 16)
                with open(f"/proc/{pid}/mem", "rb") as mem:  # struct pollfd[nfds]
                    mem.seek(addr)
                    raw = mem.read(8 * nfds)
                fds = [struct.unpack_from("i", raw, 8 * i)[0] for i in range(len(raw) // 8)]
                if any(is_stdin(fd) for fd in fds):
                    return True
        except (OSError, ValueError):
            continue
    return False


@contextlib.contextmanager
def _silent_pipe(tmp_path):
    """A FIFO with a writer that never writes: the reader blocks, never sees EOF."""
    fifo = tmp_path / "silent.fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR)
    try:
        yield fifo, fd
    finally:
        os.close(fd)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_window_quits_while_a_pipe_has_sent_nothing(player, tmp_path, how):
    """No window is shown before the first picture: signals are how to quit."""
    with _silent_pipe(tmp_path) as (_fifo, fd):
        run = player.start("-", stdin=fd)
        _wait_until(
            lambda: run.poll() is not None or _blocked_reading_stdin(run.pid),
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
    with _silent_pipe(tmp_path) as (_fifo, fd):
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


# ---------------------------------------------------------------------------------------
# the terminal (-vo terminal in tmux, keys from /dev/tty)
# ---------------------------------------------------------------------------------------


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
        direction, lo, hi = _seek_check(c)
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
        f"{drv.where}: no seek landed: {tries}; the player's last events: {_events_tail(run.trace())}"
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
        drv.burst(_behind_seeks(TERM_SEQUENCE, "Right", "Left"))
    else:
        drv.send(TERM_SEQUENCE)
    _term_check_responds(drv)
    _term_quit(drv, how)
    want_quit = ["quit", "signal"] if how.startswith("SIG") else ["quit"]
    _assert_commands_executed(run.trace(), TERM_SEQUENCE, want_quit)


def test_terminal_keys_and_q_while_a_pipe_has_sent_nothing(term, tmp_path):
    """Every key while the input has not said a word; then q still quits at once."""
    with _silent_pipe(tmp_path) as (fifo, _fd):
        err = term.workdir / "waiting.stderr"
        run = term.start_player("-vo", "terminal", "-", redirect=f"2>{err} <{fifo}")
        drv = TermDriver(term, run, err, "terminal pipe/waiting")
        _poll(
            lambda: drv.alive("starting") or _blocked_reading_stdin(run.pid),
            CMD_TIMEOUT,
            "the player to wait on its input pipe",
        )
        assert term.alternate_on(), "the player has not taken the terminal"
        drv.send(TERM_SEQUENCE)
        _term_quit(drv, "q")
    _assert_commands_executed(run.trace(), TERM_SEQUENCE, ["quit"])


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

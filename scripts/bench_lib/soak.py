"""The soak: minutes of looping playback with a random key every second, watching the
player's memory, threads and file descriptors for growth.

The player runs as a direct child (not through the wait4 launcher: its figures come from
``/proc/<pid>/status`` and ``/proc/<pid>/fd``, sampled while it plays). Keys go to the real
window with xdotool (focus, then XTEST), as a person would press them. The key sequence
depends only on the seed, so a run can be replayed with ``--soak-seed``.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import os
import random
import re
import subprocess
import time
from pathlib import Path

from bench_lib import BenchError, runs
from bench_lib.runs import STATUS_RE

WARMUP = 10.0  # seconds of play (with keys) before the "start" figures
SAMPLE_EVERY = 2.0  # seconds between two samples of /proc
KEY_EVERY = 1.0  # seconds between two keys
QUIT_BOUND = 5.0  # seconds q may take before the player counts as not responding
SETTLE = 3.0  # seconds of play after returning to the start state, before the end sample
MAX_PAUSED_KEYS = 3  # keys in pause before the driver resumes playback with p
FLAT_RSS_MIB = 20.0  # "flat": RSS at the end within this of the start

# What a person may press: ffplay's keys, a right click (seek to a fraction of the file),
# and a/v/t/c/w, the stream and show-mode cycle keys pyffplay does not implement yet (they
# must do nothing harmful). q and ESC are kept for the end.
ACTIONS = [
    "Left",
    "Right",
    "Up",
    "Down",
    "Prior",
    "Next",
    "p",
    "space",
    "s",
    "9",
    "0",
    "KP_Multiply",
    "KP_Divide",
    "m",
    "f",
    "right-click",
    "a",
    "v",
    "t",
    "c",
    "w",
]


class ViewModel:
    """Whether the window is fullscreen, from the f keys that reached it. A fullscreen
    window holds picture buffers at screen size (about 26 MiB more at 1920x1200), so the
    end figures are taken back in a window, as the start ones were."""

    def __init__(self) -> None:
        self.fullscreen = False

    def after(self, action: str | None) -> None:
        if action == "f":
            self.fullscreen = not self.fullscreen


def show_modes(trace: Path) -> list[str]:
    """The show modes the trace reported, in order ("video" before the first switch)."""
    return ["video"] + [str(e.get("mode")) for e in runs.read_trace(trace) if e.get("ev") == "show_mode"]


class PauseModel:
    """Whether the player is paused, from the keys it got: s steps and stays paused
    (ffplay's step_to_next_frame), p and SPACE toggle, nothing else changes it. Random
    keys alone would leave it paused 60 % of the time; after MAX_PAUSED_KEYS keys in pause
    the driver sends p, so the soak mostly plays, the same way for the same seed."""

    def __init__(self) -> None:
        self.paused = False
        self.keys_paused = 0  # keys sent since it paused
        self.keys_paused_total = 0  # keys that found it paused

    def after(self, action: str | None) -> None:
        if action == "s":
            self.paused = True
        elif action in ("p", "space"):
            self.paused = not self.paused
        self.keys_paused = self.keys_paused + 1 if self.paused else 0
        self.keys_paused_total += self.paused


def make_clip(cache: Path, log) -> tuple[Path, float]:
    from tests import media

    dur = 24.0
    path = cache / f"soak-640x360p30-{dur:g}s-k60.mp4"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        log(f"making {path} (once; cached) ...")
        media.make_clip(path, duration=dur, width=640, height=360, fps=30, keyint=60, audio=True)
    return path, dur


def sample(pid: int) -> dict | None:
    """RSS, peak RSS (MiB), threads and open fds of ``pid``; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None

    def kib(field: str) -> float:
        m = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
        return int(m.group(1)) / 1024.0 if m else float("nan")

    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return {"rss": kib("VmRSS"), "hwm": kib("VmHWM"), "threads": threads, "fds": fds, "cpu": cpu}


def _xdo(args: list[str], env: dict) -> bool:
    try:
        return (
            subprocess.run(
                ["xdotool", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=5
            ).returncode
            == 0
        )
    except subprocess.TimeoutExpired:
        return False


def _width(wid: int, env: dict) -> int:
    out = subprocess.run(
        ["xwininfo", "-id", str(wid)], env=env, capture_output=True, text=True, timeout=5
    ).stdout
    m = re.search(r"^\s*Width:\s*(\d+)", out, re.M)
    return int(m.group(1)) if m else 0


def press(action: str, frac: float, wid: int, env: dict) -> bool:
    """Focus the window and press ``action`` (a keysym, or "right-click" at ``frac`` of
    the window's width); False when xdotool failed."""
    if not _xdo(["windowfocus", "--sync", str(wid)], env):
        return False
    if action == "right-click":
        w = _width(wid, env)
        return w > 0 and _xdo(
            ["mousemove", "--window", str(wid), str(int(frac * (w - 1))), "20", "click", "3"], env
        )
    return _xdo(["key", action], env)


def problem_lines(stderr: str) -> list[tuple[str, int]]:
    """Lines of stderr that are not status lines, with how often each came (first seen
    first): with ``-loglevel warning`` every one of them is a warning or an error."""
    counts: collections.Counter = collections.Counter()
    for piece in re.split(r"[\r\n]+", stderr):
        if piece.strip() and not STATUS_RE.match(piece):
            counts[piece.strip()[:300]] += 1
    return list(counts.items())


def wraps(clocks: list[float], duration: float) -> int:
    """How often the status line's clock went from the last second of the clip to its
    first two: the loops (and the odd seek back from the very end)."""
    clocks = [c for c in clocks if c == c]  # no NaN
    return sum(1 for a, b in itertools.pairwise(clocks) if a >= duration - 1.0 and b < 2.0)


def run(
    env: dict, workdir: Path, pyffplay: list[str], clip: Path, duration: float, minutes: float, seed: int, log
) -> dict:
    title = f"bench soak {seed}"
    trace = workdir / "soak.jsonl"
    err_path = workdir / "soak.stderr"
    argv = [
        *pyffplay,
        "-loop",
        "0",
        "-loglevel",
        "warning",
        "-stats",
        "-window_title",
        title,
        "-trace_file",
        str(trace),
        str(clip),
    ]
    rng = random.Random(seed)
    pause = PauseModel()
    view = ViewModel()
    res: dict = {
        "seed": seed,
        "minutes": minutes,
        "clip": clip.name,
        "argv": argv,
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "load_start": os.getloadavg(),
        "samples": [],
        "keys": [],
        "send_failures": 0,
        "crash": None,
    }
    busy0, t_busy0 = runs.busy_seconds(), time.monotonic()
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            start_new_session=True,
        )
    runs._live[proc.pid] = proc
    try:
        try:
            wid = runs.find_window(title, env, proc, 30)
        except RuntimeError as e:
            raise BenchError(f"soak: the player {e}; see {err_path}") from None
        t0 = time.monotonic()
        end = t0 + minutes * 60
        next_key, next_sample = t0 + KEY_EVERY, t0
        log(f"soak: {minutes:g} min, seed {seed}, pid {proc.pid}, window {wid:#x}")
        started = False
        while time.monotonic() < end:
            now = time.monotonic()
            if not started and now - t0 >= WARMUP and proc.poll() is None:
                _settle(proc, wid, env, view, trace, res, t0, log, "start")
                started = True
                now = time.monotonic()
                next_key = max(next_key, now)
            if proc.poll() is not None:
                res["crash"] = f"exited with code {proc.returncode} after {now - t0:.1f} s"
                break
            if now >= next_sample:
                s = sample(proc.pid)
                if s is not None:
                    s["t"] = round(now - t0, 2)
                    res["samples"].append(s)
                    if len(res["samples"]) % 30 == 1:
                        log(
                            f"  {s['t']:6.0f} s  rss {s['rss']:.1f} MiB  hwm {s['hwm']:.1f} "
                            f"MiB  threads {s['threads']}  fds {s['fds']}  "
                            f"keys {len(res['keys'])}"
                        )
                next_sample += SAMPLE_EVERY
            if now >= next_key:
                action, frac = rng.choice(ACTIONS), rng.random()
                if pause.keys_paused >= MAX_PAUSED_KEYS:
                    action = "p"  # resume: a soak that mostly plays
                ok = press(action, frac, wid, env)
                res["keys"].append([round(now - t0, 2), action, ok])
                res["send_failures"] += not ok
                pause.after(action if ok else None)
                view.after(action if ok else None)
                next_key += KEY_EVERY
            time.sleep(max(0.0, min(next_key, next_sample, end) - time.monotonic()))
        if res["crash"] is None:
            _settle(proc, wid, env, view, trace, res, t0, log, "end")
        res["responds"], res["quit_latency"] = _quit(proc, wid, env)
    finally:
        if proc.poll() is None:
            runs._terminate(proc)
            proc.wait(10)
        runs._live.pop(proc.pid, None)
    res["rc"] = proc.returncode
    res["paused_share"] = pause.keys_paused_total / max(1, len(res["keys"]))
    res["busy_cores"] = (runs.busy_seconds() - busy0) / (time.monotonic() - t_busy0)
    res["load_end"] = os.getloadavg()
    text = err_path.read_bytes().decode("utf-8", "replace")
    res["problems"] = problem_lines(text)
    res["tracebacks"] = text.count("Traceback (most recent call last)")
    status = [m for m in (STATUS_RE.match(p) for p in re.split(r"[\r\n]+", text)) if m]
    res["status_lines"] = len(status)
    res["wraps"] = wraps([float(m.group(1)) for m in status], duration)
    trace_events = runs.read_trace(trace)
    res["commands"] = collections.Counter(
        str(e["command"][0])
        for e in trace_events
        if e["ev"] == "command" and isinstance(e.get("command"), list) and e["command"]
    )
    events = collections.Counter(e["ev"] for e in trace_events)
    res["frames"], res["drops"] = events["frame"], events["drop"]
    return res


def _settle(
    proc: subprocess.Popen,
    wid: int,
    env: dict,
    view: ViewModel,
    trace: Path,
    res: dict,
    t0: float,
    log,
    mark: str,
) -> None:
    """Back to the state of the start (a window, the video show mode), let it play for
    SETTLE seconds, then take the last sample: like is compared with like."""
    keys = []
    if view.fullscreen:
        press("f", 0.0, wid, env)
        keys.append("f")
        view.after("f")
    for _ in range(3):  # video -> waves -> rdft -> video
        before = len(show_modes(trace))
        if show_modes(trace)[-1] == "video":
            break
        press("w", 0.0, wid, env)
        keys.append("w")
        deadline = time.monotonic() + 2.0
        while len(show_modes(trace)) == before and time.monotonic() < deadline:
            time.sleep(0.05)
    time.sleep(SETTLE)
    s = sample(proc.pid)
    if s is not None:
        s["t"] = round(time.monotonic() - t0, 2)
        s["mark"] = mark
        res["samples"].append(s)
    res[f"settle_{mark}"] = {"keys": keys, "mode": show_modes(trace)[-1]}
    log(f"soak: {mark}: settled with {keys or 'no keys'} (show mode {show_modes(trace)[-1]})")


def _quit(proc: subprocess.Popen, wid: int, env: dict) -> tuple[bool, float | None]:
    """Press q; the time until the process has exited, or (False, None) past QUIT_BOUND."""
    if proc.poll() is not None:
        return False, None
    _xdo(["windowfocus", "--sync", str(wid)], env)
    t = time.monotonic()
    _xdo(["key", "q"], env)
    try:
        proc.wait(QUIT_BOUND)
    except subprocess.TimeoutExpired:
        return False, None
    return True, time.monotonic() - t


def summary(res: dict) -> dict:
    """Start (first sample after the warm-up), end (last sample) and peak figures."""
    samples = res["samples"]
    after = [s for s in samples if s["t"] >= WARMUP] or samples[-1:]
    if not after:
        return {}
    marked = {s["mark"]: s for s in samples if "mark" in s}
    start, end = marked.get("start", after[0]), marked.get("end", after[-1])
    flat = (
        end["rss"] - start["rss"] <= FLAT_RSS_MIB
        and end["threads"] == start["threads"]
        and end["fds"] == start["fds"]
    )
    return {
        "start": start,
        "end": end,
        "peak_rss": max(s["rss"] for s in samples),
        "hwm": end["hwm"],
        "max_threads": max(s["threads"] for s in samples),
        "max_fds": max(s["fds"] for s in samples),
        "flat": flat,
    }

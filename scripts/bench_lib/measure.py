"""The measurements: each runs ffplay and pyffplay (or PyAV) in alternation and keeps
per-pair figures in ``Bench.data`` (measure -> player -> [one dict or None per pair])."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

from bench_lib import players, runs
from bench_lib.runs import Run
from bench_lib.stats import abs_av_ms, fmt, pct

COMMON = ["-autoexit", "-loglevel", "info", "-stats"]
STARTUP_REPS = 2  # start-up A/B repetitions per pair (cheap, noisy)
SEEK_GAP = 1.5  # seconds between two seek keys
SEEK_KEYS = [
    "Up",
    "Right",
    "Left",
    "Down",
    "Right",
    "Up",
    "Left",
    "Right",
    "Down",
    "Left",
    "Up",
    "Down",
]  # stays inside 0..90 s of playback
SEEK_KEYS_QUICK = ["Up", "Right", "Left", "Down"]
UNTIMED_FRAMES = 600  # untimed runs stop after this many frames' worth of media
BARE = str(Path(__file__).resolve().with_name("bare.py"))
CATEGORY = {10.0: "±10 s", 60.0: "±60 s"}
# untimed variants: name, extra environment, pyffplay's -vo (None: SDL)
UNTIMED_VARIANTS = (
    ("null", None, "null"),
    ("x11", None, None),
    ("dummy", {"SDL_VIDEODRIVER": "dummy"}, None),
)


def log(msg: str) -> None:
    print(msg, flush=True)


class Bench:
    def __init__(self, env: dict, workdir: Path, pyffplay: list[str]):
        self.env = env
        self.workdir = workdir
        self.bin = {"ffplay": ["ffplay"], "pyffplay": pyffplay}
        self.configs = dict(players.CONFIGS)  # the probe may change mpv-gpu's options
        self.probe_notes: list[str] = []  # what the probe found (renderers, mpv)
        self.n = 0
        self.failures: list[str] = []
        self.data: dict = {}  # measure -> player -> [per-pair dict or None]
        self.machine: list = []
        self.revision = "?"  # the pyffplay commit that was measured
        self.floor_mib = math.nan  # ru_maxrss of /bin/true through the launcher
        self.settle_max = 15.0  # seconds to wait for a quiet machine before an A/B
        self.settle_budget = 60.0  # ... and in all, after which it no longer waits
        self.background: list[float] = []  # busy cores seen just before each A/B

    def put(self, measure: str, player: str, pair: int, value) -> None:
        slot = self.data.setdefault(measure, {}).setdefault(player, [])
        while len(slot) <= pair:
            slot.append(None)
        if value is not None:
            slot[pair] = value

    def settle(self) -> None:
        """Before an A/B: wait (up to settle_max) until other work uses < 0.3 cores."""
        t0 = time.monotonic()
        deadline = t0 + max(0.0, min(self.settle_max, self.settle_budget))
        while True:
            b0 = runs.busy_seconds()
            time.sleep(0.5)
            load = (runs.busy_seconds() - b0) / 0.5
            if not load >= 0.3 or time.monotonic() >= deadline:
                break
        self.settle_budget -= time.monotonic() - t0 - 0.5
        self.background.append(load)
        if load >= 0.3 and self.settle_max > 0:
            log(f"  (the machine stays busy: {load:.2f} cores used by other work)")

    def argv(self, player: str, title: str, clip: Path, *opts, trace: Path | None = None):
        extra = ["-trace_file", str(trace)] if trace else []
        return [*self.bin[player], *COMMON, "-window_title", title, *extra, *opts, str(clip)]

    def config_run(
        self,
        name: str,
        what: str,
        title: str,
        clip: Path,
        opts: dict,
        timeout: float,
        trace: Path | None = None,
    ) -> tuple[Run, dict | None]:
        """Run configuration ``name`` (players.CONFIGS) on ``clip``. ``opts`` maps a player
        ("ffplay", "pyffplay", "mpv") to its extra options. Returns the run and, for mpv,
        what its Lua script wrote (drops, A-V points)."""
        c = self.configs[name]
        env = dict(c.env)
        if c.player == "mpv":
            lua = self.workdir / "mpv-bench.lua"
            if not lua.exists():
                lua.write_text(players.MPV_LUA)
            out = self.workdir / f"{self.n + 1:03d}-{what}-{name}.mpv.json"
            env["BENCH_MPV_OUT"] = str(out)
            env["XDG_RUNTIME_DIR"] = str(self.workdir / "xdg")  # else mpv complains on stderr
            (self.workdir / "xdg").mkdir(mode=0o700, exist_ok=True)
            argv = [
                *players.MPV_BASE,
                f"--title={title}",
                f"--script={lua}",
                *c.opts,
                *opts.get("mpv", ()),
                str(clip),
            ]
            r = self.run(name, what, argv, timeout, env_extra=env)
            return r, players.read_mpv_out(out) if r.ok else None
        argv = self.argv(c.player, title, clip, *c.opts, *opts.get(c.player, ()), trace=trace)
        return self.run(name, what, argv, timeout, trace=trace, env_extra=env), None

    def run(
        self,
        player: str,
        what: str,
        argv: list[str],
        timeout: float,
        trace=None,
        env_extra: dict | None = None,
        driver=None,
    ) -> Run:
        self.n += 1
        stem = self.workdir / f"{self.n:03d}-{what}-{player}"
        r = Run(player, what, argv, stem.with_suffix(".stderr"), trace)
        env = {**self.env, **(env_extra or {})}
        busy0 = runs.busy_seconds()
        runs.start(r, env)
        if driver is not None and r.ok:
            try:
                driver(r, env)
            except Exception as e:  # noqa: BLE001 - a failed drive is a failed run
                r.error = f"{e}"
                runs.kill_group(r)
        runs.finish(r, timeout)
        if r.wall > 0:  # CPU of everything but the player: X server, sound server, others
            r.extra["others"] = (runs.busy_seconds() - busy0 - r.cpu) / r.wall
        if not r.ok:
            self.failures.append(f"{what} {player}: {r.error}")
            log(f"  ! {what} {player}: {r.error}")
        return r

    # --- playback: CPU, drops, A-V, memory --------------------------------------------
    def playback(self, key: str, clip: Path, dur: float, pair: int, names: list[str]) -> None:
        audio = key == "audio"
        opts = {"ffplay": ["-nodisp"], "pyffplay": ["-nodisp"], "mpv": ["--vid=no"]} if audio else {}
        self.settle()
        for name in players.order(names, pair):
            title = f"bench {key} {name} {pair + 1}"
            r, mpv = self.config_run(name, f"play-{key}", title, clip, opts, timeout=dur * 2 + 30)
            if not r.ok:
                self.put(key, name, pair, None)
                continue
            st = r.status()
            rec = {
                "cpu": r.cpu / dur,
                "wall": r.wall,
                "rss": r.maxrss_mib,
                "fd": st[-1].fd if st else None,
                "others": r.extra.get("others"),
            }
            points = [(s.clock, s.diff) for s in st if s.label == "A-V"]
            if mpv is not None:
                rec["fd"] = mpv["fd"]
                points = mpv["points"]
            if not audio:
                av = abs_av_ms([runs.Status(c, "A-V", d, 0) for c, d in points], dur)
                rec.update(av50=pct(av, 50), av95=pct(av, 95), n_av=len(av), points=points)
            self.put(key, name, pair, rec)
            log(
                f"  {key:7s} {name:12s} wall {r.wall:5.1f} s  cpu/s {rec['cpu']:.3f} "
                f"(others {fmt(rec['others'], '.2f')})  "
                f"fd {rec['fd']}  rss {r.maxrss_mib:.0f} MiB"
                + (f"  |A-V| p95 {fmt(rec['av95'], '.1f')} ms" if not audio else "")
            )

    # --- start-up: -t 0.5 wall time, first frame -----------------------------------------
    def startup(self, clip: Path, pair: int, rep: int, names: list[str]) -> None:
        self.settle()
        opts = {"ffplay": ["-t", "0.5"], "pyffplay": ["-t", "0.5"], "mpv": ["--length=0.5"]}
        for name in players.order(names, pair + rep):
            c = self.configs[name]
            trace = self.workdir / f"startup-{pair}-{rep}.jsonl" if c.player == "pyffplay" else None
            title = f"bench startup {name} {pair + 1}"
            r, _mpv = self.config_run(name, "startup", title, clip, opts, timeout=30, trace=trace)
            rec = None
            if r.ok:
                rec = {"wall": r.wall, "rss": r.maxrss_mib}
                if trace:
                    tr = r.trace()
                    t0 = next((e["t"] for e in tr if e["ev"] == "start"), None)
                    tf = next((e["t"] for e in tr if e["ev"] == "frame"), None)
                    rec["first"] = tf - r.t_spawn if tf else None
                    rec["first_own"] = tf - t0 if tf and t0 else None
            self.put("startup", name, pair * STARTUP_REPS + rep, rec)
        log(
            "  startup "
            + ", ".join(f"{n} {fmt((self.data['startup'][n][-1] or {}).get('wall'), '.3f')} s" for n in names)
            + f"; pyffplay first frame "
            f"{fmt((self.data['startup'].get('pyffplay', [None])[-1] or {}).get('first'), '.3f')} s"
        )

    # --- untimed throughput against bare PyAV loops ----------------------------------------
    def untimed(self, key: str, clip: Path, dur: float, fps: int, pair: int) -> None:
        """pyffplay -untimed against a bare decode loop: with -vo null (decoding and the
        hand-over to the display thread alone), in a window (X11) and with SDL's dummy video
        driver (software renderer, no window); the last two also against a bare decode + SDL
        present loop."""
        self.settle()
        secs = min(dur, UNTIMED_FRAMES / fps)
        self._bare("decode", f"untimed-{key}", "pyav", clip, secs, pair, None)
        for variant, env_extra, vo in UNTIMED_VARIANTS:
            measure = f"untimed-{key}-{variant}"
            if vo is None:  # the display path's ceiling; -vo null has no display
                self._bare("display", measure, "bare", clip, secs, pair, env_extra)
            trace = self.workdir / f"{measure}-{pair}.jsonl"
            argv = [
                *self.bin["pyffplay"],
                "-untimed",
                *(["-vo", vo] if vo else []),
                "-autoexit",
                "-nostats",
                "-t",
                f"{secs:g}",
                "-window_title",
                f"bench untimed {pair + 1}",
                "-trace_file",
                str(trace),
                str(clip),
            ]
            r = self.run("pyffplay", measure, argv, timeout=120, trace=trace, env_extra=env_extra)
            out = None
            if r.ok:
                tr = r.trace()
                ts = [e["t"] for e in tr if e["ev"] == "frame"]
                if len(ts) >= 2 and ts[-1] > ts[0]:
                    out = {
                        "fps": len(ts) / (ts[-1] - ts[0]),
                        "frames": len(ts),
                        "drops": sum(1 for e in tr if e["ev"] == "drop"),
                        "wall": r.wall,
                    }
            self.put(measure, "pyffplay", pair, out)

        def fps_of(measure, player):
            rec = (self.data.get(measure, {}).get(player) or [None])[-1] or {}
            return f"{fmt(rec.get('fps'), '.0f')} fps"

        log(
            f"  untimed {key}: bare decode {fps_of(f'untimed-{key}', 'pyav')}; -vo null: pyffplay "
            f"{fps_of(f'untimed-{key}-null', 'pyffplay')}; X11: bare "
            f"present {fps_of(f'untimed-{key}-x11', 'bare')}, pyffplay "
            f"{fps_of(f'untimed-{key}-x11', 'pyffplay')}; dummy: bare present "
            f"{fps_of(f'untimed-{key}-dummy', 'bare')}, pyffplay "
            f"{fps_of(f'untimed-{key}-dummy', 'pyffplay')}"
        )

    def _bare(
        self, mode: str, measure: str, name: str, clip: Path, secs: float, pair: int, env_extra: dict | None
    ) -> None:
        r = self.run(
            name,
            f"{measure}-{mode}",
            [sys.executable, BARE, mode, str(clip), f"{secs:g}"],
            timeout=120,
            env_extra=env_extra,
        )
        rec = None
        if r.ok:
            try:
                d = json.loads(r.stderr().strip().splitlines()[-1])
                rec = {"fps": d["frames"] / (d["t_last"] - d["t_first"]), "frames": d["frames"]}
            except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError):
                self.failures.append(f"{measure} {mode}: unreadable output {r.tail()!r}")
        self.put(measure, name, pair, rec)

    # --- seek latency ---------------------------------------------------------------------
    def seeks(self, clip: Path, pair: int, keys: list[str]) -> None:
        trace = self.workdir / f"seek-{pair}.jsonl"
        title = f"bench seek {pair + 1}"
        sent: list[tuple[str, float]] = []
        self.settle()

        def drive(r: Run, env: dict) -> None:
            wid = runs.find_window(title, env, r.proc, 20)
            runs.wait_clock(r, 1.0, 20)
            for k in keys:
                sent.append((k, runs.send_key(wid, k, env)))
                time.sleep(SEEK_GAP)
            try:  # xdotool may fail once the window it pressed q in is gone: that is the quit
                runs.send_key(wid, "q", env)
            except subprocess.CalledProcessError:
                pass
            finally:
                runs.release_keys(env)

        r = self.run(
            "pyffplay",
            "seek",
            self.argv("pyffplay", title, clip, trace=trace),
            timeout=60 + len(keys) * SEEK_GAP,
            trace=trace,
            driver=drive,
        )
        if not r.ok:
            return
        tr = r.trace()
        cmds = [
            (e["t"], float(e["command"][1]))
            for e in tr
            if e["ev"] == "command" and isinstance(e.get("command"), list) and e["command"][:1] == ["seek"]
        ]
        rows = []
        for s in (e for e in tr if e["ev"] == "seek"):
            if not cmds:
                break
            t_cmd, incr = min(cmds, key=lambda c: abs(c[0] - s["t_req"]))
            t_key = max((t for _k, t in sent if t <= t_cmd), default=None)
            rows.append(
                {
                    "cat": CATEGORY.get(abs(incr), f"±{abs(incr):g} s"),
                    "lat": s["t"] - s["t_req"],
                    "from_key": s["t"] - t_key if t_key is not None else None,
                }
            )
        lost = len(sent) - len(rows)
        if lost:
            self.failures.append(f"seek run {pair + 1}: {lost} of {len(sent)} keys gave no seek event")
        self.data.setdefault("seek", []).extend(rows)
        lat = [x["lat"] * 1000 for x in rows]
        log(
            f"  seek    pyffplay {len(rows)} seeks, latency p50 {fmt(pct(lat, 50), '.0f')} ms, "
            f"max {fmt(max(lat) if lat else None, '.0f')} ms"
        )

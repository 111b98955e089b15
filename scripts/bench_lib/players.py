"""The player configurations the benchmark compares, and what each one reports.

A configuration is a player (ffplay, pyffplay, mpv) with the options and environment that
choose its video output. Every playback figure is taken for each configuration in the same
pair, so ratios between any two of them are per-pair ratios:

* defaults: ``ffplay`` (SDL's default renderer: OpenGL, llvmpipe under Xvfb) against
  ``pyffplay`` (``-renderer auto``: SDL's software renderer when OpenGL is llvmpipe);
* same renderer, software: ``ffplay-sw`` (``SDL_RENDER_DRIVER=software``,
  ``SDL_FRAMEBUFFER_ACCELERATION=0``) against ``pyffplay-sw`` (``-renderer software``, run
  even when ``-renderer auto`` chose software: auto's OpenGL probe shows in peak memory);
* same renderer, OpenGL: ``ffplay`` against ``pyffplay-gpu`` (``-renderer gpu``);
* peers: ``mpv-x11`` (``--vo=x11``) and ``mpv-gpu`` (``--vo=gpu``, with ``--gpu-sw`` when
  mpv refuses a software OpenGL, which the probe finds out).

mpv reports its frame drops and A-V through a Lua script (``MPV_LUA``) that writes one
JSON object when mpv shuts down.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SW_ENV = {"SDL_RENDER_DRIVER": "software", "SDL_FRAMEBUFFER_ACCELERATION": "0"}
MPV_BASE = ["mpv", "--no-config", "--ao=pulse", "--really-quiet", "--no-terminal", "--keep-open=no"]


@dataclass(frozen=True)
class Config:
    name: str  # the key in Bench.data
    player: str  # "ffplay", "pyffplay" or "mpv"
    label: str  # for the report
    opts: tuple[str, ...] = ()
    env: dict = field(default_factory=dict)


CONFIGS: dict[str, Config] = {
    c.name: c
    for c in (
        Config("ffplay", "ffplay", "ffplay, default (SDL's accelerated renderer)"),
        Config("pyffplay", "pyffplay", "pyffplay, default (`-renderer auto`)"),
        Config("mpv-x11", "mpv", "mpv `--vo=x11`", ("--vo=x11",)),
        Config("ffplay-sw", "ffplay", "ffplay, SDL software renderer (env)", env=SW_ENV),
        Config("pyffplay-sw", "pyffplay", "pyffplay `-renderer software`", ("-renderer", "software")),
        Config("pyffplay-gpu", "pyffplay", "pyffplay `-renderer gpu`", ("-renderer", "gpu")),
        Config("mpv-gpu", "mpv", "mpv `--vo=gpu`", ("--vo=gpu",)),
    )
}
DEFAULT_SET = ("ffplay", "pyffplay", "mpv-x11", "ffplay-sw", "pyffplay-sw", "pyffplay-gpu", "mpv-gpu")

# mpv's counters and A-V, written as JSON when it shuts down (path in $BENCH_MPV_OUT).
MPV_LUA = r"""
local out = {drops = 0, decoder_drops = 0, delayed = 0, av = {}}
mp.observe_property("frame-drop-count", "number", function(_, v) out.drops = v or out.drops end)
mp.observe_property("decoder-frame-drop-count", "number",
    function(_, v) out.decoder_drops = v or out.decoder_drops end)
mp.observe_property("vo-delayed-frame-count", "number", function(_, v) out.delayed = v or out.delayed end)
mp.add_periodic_timer(0.25, function()
    local pos, av = mp.get_property_number("time-pos"), mp.get_property_number("avsync")
    if pos and av then out.av[#out.av + 1] = string.format("[%.3f,%.4f]", pos, av) end
end)
mp.register_event("shutdown", function()
    local f = io.open(os.getenv("BENCH_MPV_OUT"), "w")
    f:write(string.format('{"drops":%d,"decoder_drops":%d,"delayed":%d,"av":[%s]}',
        out.drops, out.decoder_drops, out.delayed, table.concat(out.av, ",")))
    f:close()
end)
"""


def mpv_available() -> bool:
    return shutil.which("mpv") is not None


def mpv_version() -> str:
    try:
        out = subprocess.run(["mpv", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.splitlines()[0].split(" Copyright")[0] if out else "?"


def read_mpv_out(path: Path) -> dict | None:
    """The Lua script's JSON: drops = frame-drop-count + decoder-frame-drop-count, and
    A-V points (time-pos, avsync) as the status lines give them for the other players."""
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    points = [(float(p), float(a)) for p, a in d.get("av", []) if math.isfinite(p) and math.isfinite(a)]
    return {"fd": int(d["drops"]) + int(d["decoder_drops"]), "delayed": d.get("delayed"), "points": points}


_FFPLAY_RENDERER_RE = re.compile(r"Initialized (\S+) renderer")


def ffplay_renderer(stderr: str) -> str | None:
    """ffplay -loglevel verbose says ``Initialized opengl renderer.``"""
    m = _FFPLAY_RENDERER_RE.search(stderr)
    return m.group(1) if m else None


def pyffplay_renderer(trace: list[dict]) -> str | None:
    """pyffplay's trace ``output`` event names the SDL renderer it made."""
    ev = next((e for e in trace if e.get("ev") == "output"), None)
    if not ev:
        return None
    return str(ev.get("renderer") or ev.get("vo"))


def order(names: list[str], pair: int) -> list[str]:
    """The run order within a pair: as given on even pairs, reversed on odd ones, so that
    a drift of the machine (warming up, other work starting) favours no configuration."""
    return list(names) if pair % 2 == 0 else list(reversed(names))


def probe(b, clip: Path, names: list[str], log) -> list[str]:
    """Start each configuration once for 0.3 s: which SDL renderer it gets, whether mpv's
    outputs start here. Returns the configurations to measure; notes go to b.probe_notes,
    b.configs gets ``--gpu-sw`` for mpv when mpv refuses a software OpenGL."""
    keep = []
    renderer: dict[str, str | None] = {}
    for name in names:
        c = b.configs[name]
        title = f"bench probe {name}"
        n_fail = len(b.failures)
        if c.player == "ffplay":
            argv = [
                "ffplay",
                "-loglevel",
                "verbose",
                "-autoexit",
                "-t",
                "0.3",
                "-window_title",
                title,
                str(clip),
            ]
            r = b.run(name, "probe", argv, 30, env_extra=c.env)
            renderer[name] = ffplay_renderer(r.stderr())
        elif c.player == "pyffplay":
            trace = b.workdir / f"probe-{name}.jsonl"
            r, _ = b.config_run(name, "probe", title, clip, {"pyffplay": ["-t", "0.3"]}, 30, trace=trace)
            renderer[name] = pyffplay_renderer(r.trace())
        else:
            r, _ = b.config_run(name, "probe", title, clip, {"mpv": ["--length=0.3"]}, 30)
            if not r.ok and name == "mpv-gpu":
                b.probe_notes.append(
                    f"mpv `--vo=gpu` does not start on this display ({r.error.rstrip(': ')}: mpv "
                    'refuses a software OpenGL such as llvmpipe, "Suspected software renderer", '
                    "unless told `--gpu-sw`): measured with `--vo=gpu --gpu-sw`"
                )
                b.configs[name] = Config(name, "mpv", "mpv `--vo=gpu --gpu-sw`", (*c.opts, "--gpu-sw"))
                del b.failures[n_fail:]
                r, _ = b.config_run(name, "probe", title, clip, {"mpv": ["--length=0.3"]}, 30)
            renderer[name] = "started" if r.ok else None
        del b.failures[n_fail:]  # a probe that fails leaves the configuration out, noted below
        if not r.ok:
            b.probe_notes.append(f"{b.configs[name].label} left out: it does not start here ({r.error})")
            log(f"  probe: {name} left out: {r.error}")
            continue
        keep.append(name)
        log(f"  probe: {name}: {renderer[name] or '?'}")
    shown = {n: v for n, v in renderer.items() if n in keep and b.configs[n].player != "mpv"}
    if shown:
        b.probe_notes.append(
            "SDL renderers (ffplay `-loglevel verbose`, pyffplay's trace): "
            + ", ".join(f"{n} {v or '?'}" for n, v in shown.items())
        )
    if renderer.get("pyffplay") == "software" and "pyffplay-sw" in keep:
        # not an alias of the pyffplay runs: to choose, -renderer auto first makes an OpenGL
        # renderer and reads GL_RENDERER, and llvmpipe's context stays in the peak memory
        # (186 against 117 MiB here), so "same renderer" needs -renderer software itself
        b.probe_notes.append(
            "`-renderer auto` chose SDL's software renderer here; `-renderer software` is run "
            "on its own all the same, since auto's OpenGL probe weighs on its peak memory"
        )
    return keep

"""docs/BENCHMARKS.md: machine, versions, figures, targets, the plots.

Everything after the notes marker (``NOTES_MARKER``, alone on its line) is hand-written
and kept as it is when the report is regenerated. The generated part never contains the
marker on a line of its own (``write`` checks), and should not quote it at all.
"""

from __future__ import annotations

import math
import os
import platform
import re
import subprocess
import warnings
from pathlib import Path

from bench_lib.stats import fmt, fmt_mmm, median

NOTES_MARKER = "<!-- notes -->"
DEFAULT_NOTES = """
## Findings (hand-written; kept when the report is regenerated)

_Nothing written yet._
"""


def _cmd(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> list[tuple[str, str]]:
    cpu = "?"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else platform.processor() or "?"
    except OSError:
        pass
    mem = "?"
    try:
        m = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else "?"
    except OSError:
        pass
    osname = "?"
    try:
        m = re.search(r'^PRETTY_NAME="?([^"\n]+)', Path("/etc/os-release").read_text(), re.M)
        osname = m.group(1) if m else "?"
    except OSError:
        pass
    virt = (
        _cmd(["systemd-detect-virt"]).strip()
        or (re.search(r"Hypervisor vendor:\s*(\S+)", _cmd(["lscpu"])) or [None, ""])[1]
    )
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ("CPU", cpu + (f" (virtual machine: {virt})" if virt and virt != "none" else "")),
        ("cores", str(os.cpu_count())),
        ("RAM", mem),
        ("OS", osname),
        ("kernel", platform.release()),
        ("load average at start (1/5/15 min)", load),
    ]


def revision(repo: Path) -> str:
    """The player's source as run: the commit, and files of pyffplay/ changed since."""
    head = _cmd(["git", "-C", str(repo), "log", "-1", "--format=%h %cs %s"]).strip()
    if not head:
        return "? (not a git checkout)"
    dirty = _cmd(["git", "-C", str(repo), "status", "--porcelain", "--", "pyffplay"]).split()
    dirty = [f for f in dirty if "/" in f]
    return f"{head}" + (f" + uncommitted changes to {', '.join(dirty)}" if dirty else "")


def player_revision(repo: Path) -> str:
    """The last commit that changed pyffplay/ (the player as run), plus uncommitted files."""
    head = _cmd(["git", "-C", str(repo), "log", "-1", "--format=%h %cs", "--", "pyffplay"]).strip()
    dirty = [
        f
        for f in _cmd(["git", "-C", str(repo), "status", "--porcelain", "--", "pyffplay"]).split()
        if "/" in f
    ]
    return (head or "?") + (f" + uncommitted changes to {', '.join(dirty)}" if dirty else "")


def _dpkg(pkg: str) -> str:
    return _cmd(["dpkg-query", "-W", "-f", "${Version}", pkg]).strip() or "?"


def versions() -> list[tuple[str, str]]:
    rows = [("Python", platform.python_version())]
    try:
        import av

        libs = ", ".join(
            f"{k} {'.'.join(map(str, v))}"
            for k, v in av.library_versions.items()
            if k in ("libavcodec", "libavformat", "libavutil", "libswresample")
        )
        ff = getattr(av, "ffmpeg_version_info", "?")
        rows.append(("PyAV (pyffplay's FFmpeg)", f"av {av.__version__}, FFmpeg {ff}: {libs}"))
    except ImportError:
        rows.append(("PyAV", "not importable"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import sdl2
        v = sdl2.SDL_version()
        sdl2.SDL_GetVersion(v)
        rows.append(
            ("SDL (pyffplay)", f"{v.major}.{v.minor}.{v.patch} via PySDL2 {sdl2.__version__} + pysdl2-dll")
        )
    except Exception as e:  # noqa: BLE001 - any load failure is just reported
        rows.append(("SDL (pyffplay)", f"unavailable ({e.__class__.__name__})"))
    try:
        import sounddevice as sd

        rows.append(
            ("PortAudio (pyffplay)", f"{sd.get_portaudio_version()[1]} via sounddevice {sd.__version__}")
        )
    except (ImportError, OSError) as e:
        rows.append(("PortAudio (pyffplay)", f"unavailable ({e.__class__.__name__})"))
    out = _cmd(["ffplay", "-hide_banner", "-version"]) or _cmd(["ffplay", "-version"])
    first = out.splitlines()[0] if out else "?"
    libs = ", ".join(
        f"{m[0]} {m[1]}"
        for m in re.findall(
            r"^(libav(?:codec|format|util))\s+"
            r"[\d. ]+/\s*([\d. ]+)$",
            out,
            re.M,
        )
    )
    rows.append(
        ("ffplay", f"{first.split(' Copyright')[0]}; {libs.replace(' ', '') or '?'}".replace(",lib", ", lib"))
    )
    rows.append(("SDL (ffplay, Debian libsdl2)", _dpkg("libsdl2-2.0-0")))
    rows.append(("Xvfb / Mesa (llvmpipe)", f"{_dpkg('xvfb')} / {_dpkg('libgl1-mesa-dri')}"))
    rows.append(("PulseAudio", _dpkg("pulseaudio")))
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def figure_rows(figures: list[dict]) -> str:
    """figures: {name, ref, ref_vals, py_vals, spec, ratios(optional)} per row."""
    rows = []
    for f in figures:
        rat = f.get("ratios") or []
        per = ", ".join(fmt(r, ".2f") for r in rat) if rat else "–"
        rows.append(
            [
                f["name"],
                f.get("ref", "ffplay"),
                fmt_mmm(f.get("ref_vals") or [], f["spec"]),
                fmt_mmm(f["py_vals"], f["spec"]),
                per,
                fmt(median([r for r in rat if r is not None]), ".2f") if rat else "–",
            ]
        )
    return table(
        [
            "measure",
            "reference",
            "reference min / **median** / max",
            "pyffplay min / **median** / max",
            "pyffplay / reference per pair",
            "median ratio",
        ],
        rows,
    )


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


NO_MATPLOTLIB = "matplotlib is not installed (`pip install -e '.[bench]'`): plot skipped"


def plot_av(runs_by_player: dict[str, list], duration: float, path: Path) -> str | None:
    """A-V over playback time, every run of each player; returns None or why it was skipped."""
    plt = _pyplot()
    if plt is None:
        return NO_MATPLOTLIB
    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    colors = iter(["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"])
    for name, runs in runs_by_player.items():
        color = next(colors, "0.3")
        for i, points in enumerate(runs):
            pts = [(c, d * 1000) for c, d in points if math.isfinite(c) and math.isfinite(d)]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, color=color, lw=0.9, alpha=0.75, label=name if i == 0 else None)
    ax.axvspan(0, 1, color="0.9")
    ax.axvspan(duration - 1, duration, color="0.9")
    ax.axhline(0, color="0.5", lw=0.6)
    for y in (-20, 20):
        ax.axhline(y, color="tab:red", lw=0.6, ls="--")
    ax.set_xlim(0, duration)
    ax.set_xlabel("playback position (s)")
    ax.set_ylabel("A-V (ms), each player's own figure")
    ax.set_title("A-V on the 720p30 clip, every run (shaded: left out of the percentiles)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return None


def plot_cpu(series: dict[str, list[tuple[float, float]]], ticks: dict[float, str], path: Path) -> str | None:
    """Median CPU per playback second against pixels per second (``ticks`` names them), one
    line per player configuration; returns None or why it was skipped."""
    plt = _pyplot()
    if plt is None:
        return NO_MATPLOTLIB
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for name, pts in series.items():
        pts = [(x / 1e6, y) for x, y in pts if math.isfinite(y)]
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, marker="o", lw=1.2, label=name)
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks([x / 1e6 for x in ticks], [f"{name}\n{x / 1e6:.0f} M" for x, name in ticks.items()])
    ax.set_xlabel("pixels per second of video (log scale)")
    ax.set_ylabel("CPU s per playback s (median)")
    ax.set_title("CPU against pixels (2 cores: 2.0 is the whole machine)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return None


def split_notes(text: str) -> tuple[str, str | None]:
    """(generated part, hand-written notes after the marker) of a report. The marker counts
    only alone on its line (a mention of it inside a sentence is not the split); None when
    there is no such line."""
    m = re.search("^" + re.escape(NOTES_MARKER) + "[ \t]*$", text, re.M)
    if not m:
        return text, None
    return text[: m.start()], text[m.end() :]


def write(
    out: Path,
    *,
    header: str,
    machine_rows,
    version_rows,
    method: str,
    targets,
    figures_md: str,
    extra_md: str,
) -> None:
    notes = DEFAULT_NOTES
    if out.exists():
        notes = split_notes(out.read_text(encoding="utf-8"))[1] or DEFAULT_NOTES
    parts = [
        header,
        "## Machine\n\n" + table(["", ""], [list(r) for r in machine_rows]),
        "## Versions\n\n" + table(["", ""], [list(r) for r in version_rows]),
        "## Targets (issue 11)\n\n"
        + table(["target", "goal", "measured (median)", "per pair", "met"], targets),
        "## Figures\n\n" + figures_md,
        extra_md,
        "## Method\n\n" + method,
    ]
    body = "\n\n".join(p.strip() for p in parts if p.strip())
    if split_notes(body)[1] is not None:  # the generated part must never hold the marker line
        raise ValueError("the generated report contains the notes marker on a line of its own")
    text = body + "\n\n" + NOTES_MARKER + notes
    if not text.endswith("\n"):
        text += "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)

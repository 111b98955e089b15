"""From ``Bench.data`` to the figures, the targets table and the report file."""

from __future__ import annotations

import datetime
import json
import math
import shlex
import sys
from pathlib import Path

from bench_lib import players, report, targets
from bench_lib.measure import COMMON, SEEK_GAP, UNTIMED_FRAMES, Bench, log
from bench_lib.stats import finite, fmt, fmt_mmm, median, pct, ratios
from bench_lib.targets import values

RES_PIXELS = {"720p30": 1280 * 720 * 30, "1080p60": 1920 * 1080 * 60, "2160p30": 3840 * 2160 * 30}
# (label, numerator, denominator) of the per-pair CPU ratios shown for each resolution
COMPARISONS = (
    ("pyffplay / ffplay, defaults", "pyffplay", "ffplay"),
    ("pyffplay / ffplay, both software", "pyffplay-sw", "ffplay-sw"),
    ("pyffplay / ffplay, both OpenGL", "pyffplay-gpu", "ffplay"),
    ("pyffplay / mpv `--vo=x11`", "pyffplay", "mpv-x11"),
    ("pyffplay / mpv `--vo=gpu`", "pyffplay", "mpv-gpu"),
    ("ffplay / mpv `--vo=x11`", "ffplay", "mpv-x11"),
)

AUDIO_LABELS = {"ffplay": "ffplay `-nodisp`", "pyffplay": "pyffplay `-nodisp`", "mpv-x11": "mpv `--vid=no`"}


def _run_names(b: Bench, measure: str) -> list[str]:
    have = b.data.get(measure, {})
    return [n for n in b.configs if n in have]


def playback_table(b: Bench, key: str, frames: int | None) -> str:
    """One row per configuration: CPU, drops, A-V, memory, the others' CPU."""
    rows = []
    for name in _run_names(b, key):
        v = lambda f, name=name: values(b.data, key, name, f)  # noqa: E731
        fd = finite(v("fd"))
        label = AUDIO_LABELS.get(name, b.configs[name].label) if key == "audio" else b.configs[name].label
        rows.append(
            [
                label,
                fmt_mmm(v("cpu"), ".3f"),
                fmt_mmm(v("fd"), ".0f") + (f" of {frames}" if frames and fd else ""),
                fmt(median(v("av95")), ".1f") if key != "audio" else "–",
                fmt_mmm(v("rss"), ".0f"),
                fmt(median(v("others")), ".3f"),
                str(len(finite(v("cpu")))),
            ]
        )
    return report.table(
        [
            "player",
            "CPU s per playback s (min / **median** / max)",
            "frames dropped",
            "\\|A-V\\| p95 (ms, median run)",
            "peak RSS (MiB)",
            "other processes' CPU s/s (median)",
            "runs",
        ],
        rows,
    )


def comparison_table(b: Bench, keys: list[str], field: str = "cpu") -> str:
    rows = []
    for key in keys:
        for label, num, den in COMPARISONS:
            a = values(b.data, key, num, field)
            c = values(b.data, key, den, field)
            r = ratios(a, c)
            if not finite(r):
                continue
            rows.append([key, label, ", ".join(fmt(x) for x in r), f"**{fmt(median(r))}**"])
    return report.table(["clip", "CPU ratio", "per pair", "median"], rows)


def pair_rows(b: Bench, specs: list[tuple]) -> str:
    """Rows of (name, measure, ref config, py config, field, spec[, py measure])."""
    figs = []
    for name, measure, ref, py, field, spec, *rest in specs:
        ref_vals = values(b.data, measure, ref, field)
        py_vals = values(b.data, rest[0] if rest else measure, py, field)
        if not finite(ref_vals) and not finite(py_vals):
            continue
        label = b.configs[ref].label if ref in b.configs else ref
        figs.append(
            {
                "name": name,
                "ref": label,
                "ref_vals": ref_vals,
                "py_vals": py_vals,
                "spec": spec,
                "ratios": ratios(py_vals, ref_vals) if finite(ref_vals) else None,
            }
        )
    return report.figure_rows(figs) if figs else ""


def terminal_ratios(out: Path) -> list:
    """Per-pair CPU ratios pyffplay / mpv tct at 160x50 on the scrolling clip, from the
    bench_terminal.json beside the report (written by scripts/bench_terminal)."""
    try:
        cases = json.loads((out.parent / "bench_terminal.json").read_text())
    except (OSError, ValueError):
        return []
    for case in cases:
        if case.get("size") == "160x50" and "scroll" in case.get("clip", ""):
            r = case["runs"]
            return ratios([x["cpu_per_s"] for x in r["pyffplay"]], [x["cpu_per_s"] for x in r["mpv"]])
    return []


def seek_section(b: Bench, clips: dict) -> tuple[str, float]:
    seek_rows, seek95 = [], math.nan
    for cat in ("±10 s", "±60 s"):
        rows = [x for x in b.data.get("seek", []) if x["cat"] == cat]
        lat = [x["lat"] * 1000 for x in rows]
        key_lat = finite(x["from_key"] * 1000 for x in rows if x["from_key"] is not None)
        if cat == "±10 s":
            seek95 = pct(lat, 95)
        seek_rows.append(
            [
                cat,
                str(len(lat)),
                fmt(pct(lat, 50), ".0f"),
                fmt(pct(lat, 95), ".0f"),
                fmt(max(lat) if lat else None, ".0f"),
                fmt(pct(key_lat, 50), ".0f"),
                fmt(pct(key_lat, 95), ".0f"),
            ]
        )
    if "seek" not in b.data:
        return "", seek95
    text = (
        "### Seek latency (pyffplay, 720p30, keyframe every 250 frames)\n\n"
        + report.table(
            [
                "seek",
                "seeks",
                "p50 (ms)",
                "p95 (ms)",
                "max (ms)",
                "p50 from key sent (ms)",
                "p95 from key sent (ms)",
            ],
            seek_rows,
        )
        + f"\n\nFrom the player's seek request to the first frame of the new serial on "
        f"screen (`-trace_file`), over a {clips['long'][1]:g} s clip; keys sent with "
        f"`xdotool key --window`, {SEEK_GAP} s apart. ffplay and mpv have no trace, so there "
        "is no reference."
    )
    return text, seek95


def build_report(b: Bench, args, clips: dict, services_notes: list[str], t_total: float) -> int:
    out = Path(args.out)
    d = b.data
    res_keys = [k for k in RES_PIXELS if k in d]
    parts = []
    for key in res_keys:
        dur = clips[key][1]
        fps = int(key.split("p")[1])
        parts.append(f"### Playback, {key} ({dur:g} s)\n\n" + playback_table(b, key, int(dur * fps)))
    if res_keys:
        parts.append(
            "### CPU ratios within each pair\n\n"
            + comparison_table(b, res_keys)
            + '\n\n"Both software": ffplay with `SDL_RENDER_DRIVER=software '
            'SDL_FRAMEBUFFER_ACCELERATION=0`, pyffplay with `-renderer software`. "Both OpenGL": '
            "ffplay's default, pyffplay `-renderer gpu`."
        )
    if "audio" in d:
        parts.append("### Audio only (`-nodisp`; mpv `--vid=no`)\n\n" + playback_table(b, "audio", None))
    startup = pair_rows(
        b,
        [
            ("start-up: wall of `-autoexit -t 0.5` (s)", "startup", "ffplay", "pyffplay", "wall", ".3f"),
            (
                "start-up: wall of `--length=0.5` / `-autoexit -t 0.5` (s)",
                "startup",
                "mpv-x11",
                "pyffplay",
                "wall",
                ".3f",
            ),
            (
                "peak memory of a 720p30 playback (MiB), same renderer (software)",
                "720p30",
                "ffplay-sw",
                "pyffplay-sw",
                "rss",
                ".0f",
            ),
            (
                "peak memory of a 720p30 playback (MiB), same renderer (OpenGL)",
                "720p30",
                "ffplay",
                "pyffplay-gpu",
                "rss",
                ".0f",
            ),
            (
                "peak memory of a 720p30 playback (MiB), pyffplay / mpv x11",
                "720p30",
                "mpv-x11",
                "pyffplay",
                "rss",
                ".0f",
            ),
        ],
    )
    first = finite(values(d, "startup", "pyffplay", "first"))
    if startup:
        parts.append(
            "### Start-up and memory\n\n"
            + startup
            + (
                f"\n\npyffplay's first frame on screen: {fmt_mmm(first, '.3f')} s after the fork (its trace)."
                if first
                else ""
            )
        )
    untimed = []
    for key in ("720p30", "1080p60"):
        if f"untimed-{key}" not in d:
            continue
        untimed.append(
            (
                f"untimed fps, {key}, `-vo null`",
                f"untimed-{key}",
                "pyav",
                "pyffplay",
                "fps",
                ".0f",
                f"untimed-{key}-null",
            )
        )
        for variant, label in (("x11", "X11 window"), ("dummy", "SDL_VIDEODRIVER=dummy")):
            m = f"untimed-{key}-{variant}"
            untimed.append(
                (f"untimed fps, {key}, {label}", f"untimed-{key}", "pyav", "pyffplay", "fps", ".0f", m)
            )
            untimed.append(
                (
                    f"untimed fps, {key}, {label}, against bare decode + SDL present",
                    m,
                    "bare",
                    "pyffplay",
                    "fps",
                    ".0f",
                )
            )
    if untimed:
        parts.append(
            "### Untimed throughput (pyffplay `-untimed`)\n\n"
            + pair_rows(b, untimed)
            .replace("| pyav |", "| bare PyAV decode |")
            .replace("| bare |", "| bare decode + SDL present |")
        )
    seek_md, seek95 = seek_section(b, clips)
    parts.append(seek_md)

    # plots
    plots = []
    if len(res_keys) >= 2:
        series = {
            b.configs[n].label: [(RES_PIXELS[k], median(values(d, k, n, "cpu"))) for k in res_keys]
            for n in b.configs
            if any(n in d.get(k, {}) for k in res_keys)
        }
        ticks = {RES_PIXELS[k]: k for k in res_keys}
        why = report.plot_cpu(series, ticks, out.parent / "bench_cpu_pixels.png")
        plots.append(
            "### CPU against pixels per second\n\n"
            + (
                f"_Plot skipped: {why}._"
                if why
                else "![CPU per playback second against pixels per second](bench_cpu_pixels.png)"
            )
        )
    if "720p30" in d:
        av_runs = {
            b.configs[n].label: [r["points"] for r in d["720p30"][n] if r and r.get("points")]
            for n in ("ffplay", "pyffplay", "mpv-x11")
            if n in d["720p30"]
        }
        why = report.plot_av(av_runs, clips["720p30"][1], out.parent / "av_sync_720p.png")
        plots.append(
            "### A-V over playback time, 720p30\n\n"
            + (f"_Plot skipped: {why}._" if why else "![A-V over playback time](av_sync_720p.png)")
        )
    parts += plots
    if b.failures:
        parts.append(
            "### Runs that failed (left out of the figures)\n\n" + "\n".join(f"* {f}" for f in b.failures)
        )

    tg = targets.evaluate(d, {"seek95": seek95, "terminal": terminal_ratios(out)})
    now = datetime.datetime.now().astimezone()
    header = (
        f"# Benchmarks: pyffplay against ffplay and mpv\n\n"
        f"Generated by `scripts/bench` on {now:%Y-%m-%d %H:%M %Z}: "
        f"`{shlex.join(['scripts/bench', *sys.argv[1:]])}`, {args.pairs} pair(s) (rounds) "
        f"of runs, {t_total / 60:.1f} min in all"
        f"{' (--quick: short clips, a smoke run)' if args.quick else ''}"
        f"{' (--only ' + ','.join(args.figures) + ')' if args.only else ''}. "
        "Everything down to the notes marker line is rewritten by the script; the findings "
        "below it are written by hand and kept.\n\n"
        f"Setting: {'; '.join(services_notes)}. Before each round of a figure the script waits up "
        f"to {b.settle_max:g} s (60 s in all) for other work to use < 0.3 cores; it used "
        f"{fmt(median(b.background), '.2f')} cores (median; max "
        f"{fmt(max(b.background, default=None), '.2f')}) then. ffplay and pyffplay run with "
        f"`{' '.join(COMMON)} -window_title T`, mpv with `{' '.join(players.MPV_BASE[1:])}`, on the "
        "same clips." + ("\n\nProbe: " + "; ".join(b.probe_notes) + "." if b.probe_notes else "")
    )
    method = "\n".join(
        [
            "* Clips (PyAV, `tests/media.py`, x264 ultrafast, keyframe every 250 frames, AAC "
            "48 kHz stereo, every pixel moving every frame): "
            + ", ".join(f"{k} {clips[k][1]:g} s" for k in RES_PIXELS if k in clips)
            + (f", a {clips['long'][1]:g} s 720p30 clip for seeks" if "long" in clips else "")
            + f", a {clips['audio'][1]:g} s audio-only AAC clip; cached in `{args.cache}`.",
            "* Order: within a round every configuration plays the clip once, in the order of the "
            "tables on even rounds and reversed on odd ones. Ratios are taken within a round.",
            "* CPU is user + system seconds of the player process (`os.wait4`) divided by the "
            "clip's length. \"Other processes\" is the machine's busy time (`/proc/stat`) during "
            "the run minus the player's, per second: mostly Xvfb drawing the frames. A player "
            "that drops frames does less work for them: read CPU beside the drops (1080p60, "
            "2160p30).",
            "* Frames dropped: ffplay and pyffplay: `fd=` of the last status line; mpv: "
            "`frame-drop-count` + `decoder-frame-drop-count` when it exits (a Lua script). "
            "|A-V|: status lines (mpv: `avsync` every 0.25 s) whose clock lies between 1 s and "
            "the clip's length − 1 s; each player's own estimate, not light and sound.",
            "* Start-up: from the fork of the player to its exit, `-autoexit -t 0.5` (mpv "
            "`--length=0.5`); first frame: from the fork to pyffplay's first `frame` trace event.",
            f"* Untimed: `pyffplay -untimed [-vo null] -autoexit -nostats -t T -trace_file F clip` "
            f"over {UNTIMED_FRAMES} frames' worth of media, frames / (last frame t − first frame t), "
            "against `scripts/bench_lib/bare.py` (same formula): a bare PyAV decode loop, and the "
            "same loop presenting every frame through SDL (the display path's ceiling).",
            "* Peak memory: `ru_maxrss` from `os.wait4`, reaped by a tiny `python -S` launcher "
            "(Linux counts the address space between fork and exec). The launcher's own share: "
            f"`/bin/true` reports {fmt(b.floor_mib, '.1f')} MiB through it.",
            "* Terminal: `scripts/bench_terminal` (or `scripts/bench --terminal`), its section "
            "below; soak: `scripts/bench --soak`, its section below.",
        ]
    )
    version_rows = [("pyffplay (commit measured)", b.revision), *report.versions()]
    if players.mpv_available():
        version_rows.append(("mpv", players.mpv_version()))
    report.write(
        out,
        header=header,
        machine_rows=b.machine,
        version_rows=version_rows,
        method=method,
        targets=[t.row() for t in tg],
        figures_md="\n\n".join(p for p in parts if p),
        extra_md="",
    )
    log(f"wrote {out}")
    for t in tg:
        log("  target: " + " | ".join(t.row()))
    return 3 if b.failures else 0

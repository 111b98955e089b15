"""From ``Bench.data`` to the figures, the targets table and the report file."""

from __future__ import annotations

import datetime
import math
import shlex
import sys
from pathlib import Path

from bench_lib import report
from bench_lib.measure import COMMON, SEEK_GAP, UNTIMED_FRAMES, Bench, log
from bench_lib.stats import finite, fmt, median, pct, ratios


def values(data: dict, measure: str, player: str, field: str) -> list:
    return [(rec or {}).get(field) for rec in data.get(measure, {}).get(player, [])]


def build_report(b: Bench, args, clips: dict, services_notes: list[str], t_total: float) -> int:
    out = Path(args.out)
    d = b.data
    figs: list[dict] = []

    def pair_row(name, measure, field, spec, ratio=True, ref="ffplay", ref_player="ffplay", py_measure=None):
        ff = values(d, measure, ref_player, field)
        py = values(d, py_measure or measure, "pyffplay", field)
        figs.append(
            {
                "name": name,
                "ref": ref,
                "ref_vals": ff,
                "py_vals": py,
                "spec": spec,
                "ratios": ratios(py, ff) if ratio else None,
            }
        )
        return ff, py

    dur = clips["720p30"][1]
    cpu720 = pair_row("CPU s per playback s, 720p30", "720p30", "cpu", ".3f")
    cpu1080 = pair_row("CPU s per playback s, 1080p60", "1080p60", "cpu", ".3f")
    pair_row("CPU s per playback s, audio only (-nodisp)", "audio", "cpu", ".3f")
    for key in ("720p30", "1080p60", "audio"):
        pair_row(f"CPU s per s of all other processes (Xvfb, PulseAudio, …), {key}", key, "others", ".3f")
    pair_row(f"wall time of the whole {dur:g} s 720p30 run (s)", "720p30", "wall", ".2f")
    fd720 = pair_row("frames dropped (last fd=), 720p30", "720p30", "fd", ".0f", ratio=False)
    fd1080 = pair_row("frames dropped (last fd=), 1080p60", "1080p60", "fd", ".0f")
    av95 = {}
    for key in ("720p30", "1080p60"):
        pair_row(f"\\|A-V\\| p50 (ms), {key}", key, "av50", ".1f")
        av95[key] = pair_row(f"\\|A-V\\| p95 (ms), {key}", key, "av95", ".1f")
    av95_720 = av95["720p30"]
    rss = {}
    for key in ("720p30", "1080p60", "audio"):
        rss[key] = pair_row(f"peak resident memory (MiB), {key}", key, "rss", ".0f")
    pair_row("start-up: wall time of `-autoexit -t 0.5`, 720p30 (s)", "startup", "wall", ".3f")
    first = pair_row(
        "first frame on screen after process start (s)", "startup", "first", ".3f", ratio=False, ref="–"
    )[1]
    pair_row(
        "first frame after pyffplay's own `start` event (s)",
        "startup",
        "first_own",
        ".3f",
        ratio=False,
        ref="–",
    )
    untimed = {}
    for key in ("720p30", "1080p60"):
        if f"untimed-{key}" not in d:
            continue
        for variant, label in (("x11", "X11 window"), ("dummy", "SDL_VIDEODRIVER=dummy")):
            m = f"untimed-{key}-{variant}"
            untimed[(key, variant)] = pair_row(
                f"untimed fps, {key}, {label}",
                f"untimed-{key}",
                "fps",
                ".0f",
                ref="bare PyAV decode",
                ref_player="pyav",
                py_measure=m,
            )
            drops = finite(values(d, m, "pyffplay", "drops"))
            if drops and max(drops) > 0:
                figs[-1]["name"] += f" ({fmt(median(drops), '.0f')} frames dropped)"
            untimed[(key, variant, "present")] = pair_row(
                f"untimed fps, {key}, {label}",
                m,
                "fps",
                ".0f",
                ref="bare decode + SDL present",
                ref_player="bare",
            )
    figures_md = report.figure_rows(figs)
    figures_md += (
        "\n\nCPU is user + system seconds of the player process (`os.wait4`), "
        "divided by the clip's length. \"All other processes\" is the machine's busy "
        "time (`/proc/stat`) during the run minus the player's, per second: mostly "
        "Xvfb drawing the player's frames, plus anything else that ran. Ratios are "
        "pyffplay / reference within each A/B pair; the bold figure is the median. "
        "A-V is what each player's status line says (audio clock − video clock), "
        "i.e. each player's own estimate, not a measurement of light and sound."
    )

    # seek latency
    seek_rows, seek95 = [], {}
    for cat in ("±10 s", "±60 s"):
        lat = [x["lat"] * 1000 for x in d.get("seek", []) if x["cat"] == cat]
        key_lat = finite(
            x["from_key"] * 1000 for x in d.get("seek", []) if x["cat"] == cat and x["from_key"] is not None
        )
        seek95[cat] = pct(lat, 95)
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
    extra = (
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
        f"screen (`-trace_file`), over {clips['long'][1]:g} s clips; keys sent with "
        f"`xdotool key --window`, {SEEK_GAP} s apart. ffplay has no trace, so there is "
        "no reference."
    )

    # the plot
    plot = out.parent / "av_sync_720p.png"
    why = report.plot_av(
        [r["points"] for r in d.get("720p30", {}).get("ffplay", []) if r],
        [r["points"] for r in d.get("720p30", {}).get("pyffplay", []) if r],
        dur,
        plot,
    )
    extra += "\n\n### A-V over playback time, 720p30\n\n" + (
        f"_Plot skipped: {why}._" if why else f"![A-V over playback time]({plot.name})"
    )
    if b.failures:
        extra += "\n\n### Runs that failed (left out of the figures)\n\n" + "\n".join(
            f"* {f}" for f in b.failures
        )

    # targets: ratios are judged on the median of the per-pair ratios, levels on the
    # median run, drops at 720p on every run, seek latency on the p95 of all seeks
    targets = []

    def target(name: str, goal: str, value, shown: str, pred) -> None:
        known = value is not None and not (isinstance(value, float) and not math.isfinite(value))
        verdict = "–" if not known else ("met" if pred(value) else "**not met**")
        targets.append([name, goal, shown, verdict])

    def median_ratio(pair):
        return median(ratios(pair[1], pair[0])) if pair else math.nan

    for key, pair in (("720p30", cpu720), ("1080p60", cpu1080)):
        r = median_ratio(pair)
        target(f"CPU per playback s, pyffplay / ffplay, {key}", "≤ 1.10", r, fmt(r), lambda x: x <= 1.10)
    worst = max(finite(fd720[1]), default=None)
    per_pair = ", ".join(f"{fmt(p, '.0f')} ({fmt(f, '.0f')})" for p, f in zip(fd720[1], fd720[0]))
    target(
        "frames dropped, 720p30, every pyffplay run (ffplay's in the same pair)",
        "0",
        worst,
        per_pair or "–",
        lambda x: x == 0,
    )
    diff = [p - f for p, f in zip(fd1080[1], fd1080[0]) if p is not None and f is not None]
    target(
        "frames dropped at 1080p60, pyffplay − ffplay in the same pair",
        "≤ 0 (median pair)",
        median(diff) if diff else None,
        ", ".join(f"{x:+d}" for x in diff) or "–",
        lambda x: x <= 0,
    )
    v = median(av95_720[1])
    target("\\|A-V\\| p95, 720p30 (median run)", "≤ 20 ms", v, f"{fmt(v, '.1f')} ms", lambda x: x <= 20)
    v = median(first)
    target(
        "first frame on screen after process start (median)",
        "≤ 0.6 s",
        v,
        f"{fmt(v, '.3f')} s",
        lambda x: x <= 0.6,
    )
    v = seek95["±10 s"]
    target("seek latency p95, ±10 s", "≤ 150 ms", v, f"{fmt(v, '.0f')} ms", lambda x: x <= 150)
    v = median_ratio(untimed.get(("720p30", "x11")))
    target("untimed fps / bare PyAV decode, 720p30 (X11 window)", "≥ 0.90", v, fmt(v), lambda x: x >= 0.90)
    v = median_ratio(untimed.get(("720p30", "x11", "present")))
    target(
        "(information) untimed fps / bare decode + SDL present, 720p30 (X11 window)",
        "(≥ 0.90)",
        v,
        fmt(v),
        lambda x: x >= 0.90,
    )
    v = median_ratio(untimed.get(("720p30", "dummy")))
    target(
        "(information) untimed fps / bare PyAV decode, 720p30, SDL_VIDEODRIVER=dummy",
        "(≥ 0.90)",
        v,
        fmt(v),
        lambda x: x >= 0.90,
    )
    for key in ("720p30", "1080p60"):
        v = median(rss[key][1]) - median(rss[key][0])
        target(
            f"peak memory, pyffplay − ffplay (medians), {key}",
            "≤ +100 MiB",
            v,
            f"{fmt(v, '+.0f')} MiB",
            lambda x: x <= 100,
        )

    now = datetime.datetime.now().astimezone()
    header = (
        f"# Benchmarks: pyffplay against ffplay\n\n"
        f"Generated by `scripts/bench` on {now:%Y-%m-%d %H:%M %Z}: "
        f"`{shlex.join(['scripts/bench', *sys.argv[1:]])}`, {args.pairs} pair(s) "
        f"of runs in alternation (ffplay, pyffplay, ffplay, …), {t_total / 60:.1f} min in "
        f"all{' (--quick: short clips, a smoke run)' if args.quick else ''}. "
        f"Everything above the `<!-- notes -->` line is rewritten by the script; the "
        f"findings below it are written by hand and kept.\n\n"
        f"Setting: {'; '.join(services_notes)}. Before each A/B the script waits up to "
        f"{b.settle_max:g} s (60 s in all) for other work to use < 0.3 cores; it used "
        f"{fmt(median(b.background), '.2f')} cores (median; max "
        f"{fmt(max(b.background, default=None), '.2f')}) then. Both players run with "
        f"`{' '.join(COMMON)} -window_title T` on the same clips."
    )
    method = "\n".join(
        [
            f"* Clips (PyAV, `tests/media.py`, x264 ultrafast, keyframe every 250 frames, AAC "
            f"48 kHz stereo): 720p30 and 1080p60 {dur:g} s, a {clips['long'][1]:g} s 720p30 clip "
            f"for seeks, a {clips['audio'][1]:g} s audio-only AAC clip; cached in `{args.cache}`.",
            "* Frames dropped: `fd=` of each player's last status line (status lines end in "
            "'\\r'). |A-V|: every status line whose master clock (its first number) lies between "
            "1 s and the clip's length − 1 s; p50/p95 per run.",
            "* Start-up: from the fork of the player to its exit, `-autoexit -t 0.5`; first frame: "
            "from the fork to the first `frame` event of pyffplay's `-trace_file` (both "
            "time.monotonic, one clock for all processes).",
            f"* Untimed: `pyffplay -untimed -autoexit -nostats -t T -trace_file F clip` over "
            f"{UNTIMED_FRAMES} frames' worth of media, frames / (last frame t − first frame t), "
            "against `scripts/bench_lib/bare.py` in its own process (same formula): a bare PyAV "
            'loop (`thread_type="AUTO"`, decode every video frame) and the same loop that also '
            "shows every frame through SDL (UpdateYUVTexture, RenderCopy, RenderPresent, "
            "accelerated renderer, no vsync): the display path's ceiling. Each both in an X11 "
            "window and with `SDL_VIDEODRIVER=dummy` (SDL's software renderer, no window).",
            "* Peak memory: `ru_maxrss` of the player from `os.wait4`, reaped by a tiny "
            "`python -S` launcher (Linux counts the address space between fork and exec: forked "
            "from the script itself every player would show ~150 MiB more). The launcher's own "
            f"share is the floor: `/bin/true` reports {fmt(b.floor_mib, '.1f')} MiB through it.",
            "* Audio-only runs use `-nodisp` for both (ffplay would otherwise draw its wave view).",
        ]
    )
    version_rows = [("pyffplay (commit measured)", b.revision), *report.versions()]
    report.write(
        out,
        header=header,
        machine_rows=b.machine,
        version_rows=version_rows,
        method=method,
        targets=targets,
        figures_md=figures_md,
        extra_md=extra,
    )
    log(f"wrote {out}" + ("" if why else f" and {plot}"))
    return 3 if b.failures else 0

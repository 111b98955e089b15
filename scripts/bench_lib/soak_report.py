"""The soak's section of docs/BENCHMARKS.md, its plot, and its saved JSON.

The section lives between ``<!-- soak -->`` and ``<!-- /soak -->`` below the report's
``<!-- notes -->`` line, so a regenerated A/B report keeps it; it can also be rebuilt
from the saved JSON (``scripts/bench --soak-from docs/bench_soak.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench_lib import soak
from bench_lib.report import NOTES_MARKER, table
from bench_lib.stats import fmt

BEGIN, END = "<!-- soak -->", "<!-- /soak -->"


def save(res: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=None, default=str) + "\n", encoding="utf-8")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def plot(res: dict, path: Path) -> str | None:
    """RSS / peak RSS and threads / fds over time; returns None or why it was skipped."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (`pip install -e '.[bench]'`)"
    s = res["samples"]
    if not s:
        return "no samples"
    t = [x["t"] / 60 for x in s]
    fig, (ax1, ax2) = plt.subplots(
        2, 1, figsize=(9, 4.5), dpi=100, sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    ax1.plot(t, [x["rss"] for x in s], color="tab:orange", lw=1, label="VmRSS")
    ax1.plot(t, [x["hwm"] for x in s], color="0.5", lw=0.8, ls="--", label="VmHWM (peak)")
    ax1.set_ylabel("MiB")
    ax1.set_ylim(bottom=0)
    ax1.legend(loc="lower right")
    ax1.set_title(
        f"soak: {res['minutes']:g} min of -loop 0 with a random key every "
        f"{soak.KEY_EVERY:g} s (seed {res['seed']})"
    )
    ax2.step(t, [x["threads"] for x in s], where="post", color="tab:blue", label="threads")
    ax2.step(t, [x["fds"] for x in s], where="post", color="tab:green", label="open fds")
    ax2.set_ylim(bottom=0)
    ax2.set_ylabel("count")
    ax2.set_xlabel("minutes since the window appeared")
    ax2.legend(loc="lower right")
    for ax in (ax1, ax2):
        ax.axvspan(0, soak.WARMUP / 60, color="0.9")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return None


def _short(rev: str) -> str:
    """ "2090bbe 2026-12-02 subject ..." -> "2090bbe 2026-12-02" (and any uncommitted files)."""
    if rev.startswith("changed"):
        return rev
    extra = rev.split(" + uncommitted", 1)[1] if " + uncommitted" in rev else ""
    return " ".join(rev.split()[:2]) + (f" + uncommitted{extra}" if extra else "")


def _player(res: dict) -> str:
    return res.get("player_revision") or _short(str(res.get("revision", "?")))


def section(res: dict, plot_name: str | None, why_no_plot: str | None) -> str:
    sm = soak.summary(res)
    keys = res["keys"]
    counts: dict[str, int] = {}
    for _t, action, _ok in keys:
        counts[action] = counts.get(action, 0) + 1
    load_s = " / ".join(f"{x:.2f}" for x in res["load_start"])
    load_e = " / ".join(f"{x:.2f}" for x in res["load_end"])
    lines = [
        f"## Soak: {res['minutes']:g} minute{'s' if res['minutes'] != 1 else ''} of looping "
        "playback, a random key every second",
        "",
        f"Written by `scripts/bench --soak --soak-minutes {res['minutes']:g} --soak-seed "
        f"{res['seed']}` on {res['date']} (pyffplay/ as of commit {_player(res)}). "
        f"`pyffplay -loop 0 -loglevel warning -stats` on `{res['clip']}` (640x360 30 fps "
        "H.264 + AAC, keyframe every 2 s, made by tests/media.py) in a real X window (Xvfb) "
        "with sound to a PulseAudio null sink. Every "
        f"{soak.KEY_EVERY:g} s the window gets focus and one random key or a right click "
        "(xdotool, XTEST); the sequence depends only on the seed, except that after "
        f"{soak.MAX_PAUSED_KEYS} keys in pause (s pauses, p and SPACE toggle) the next key is p, "
        "so that the player mostly plays. /proc/<pid>/status "
        f"(VmRSS, VmHWM, Threads) and /proc/<pid>/fd are sampled every {soak.SAMPLE_EVERY:g} s; "
        f'"start" is taken after {soak.WARMUP:g} s of warm-up and "end" before `q`, each time '
        "after bringing the player back to a window (f, when the keys left it fullscreen) "
        f"and the video show mode (w) and letting it play {soak.SETTLE:g} s: a fullscreen "
        "window holds picture buffers at screen size, so like is compared with like; the "
        "peak column covers every state.",
        "",
        f"The machine was shared and busy: load average {load_s} (1/5/15 min) at the start, "
        f"{load_e} at the end; {fmt(res.get('busy_cores'), '.2f')} of "
        f"{res.get('cores', '?')} cores busy on average over the run, the player included.",
        "",
    ]
    if sm:
        st, en = sm["start"], sm["end"]
        rows = [
            [
                "resident memory VmRSS (MiB)",
                fmt(st["rss"], ".1f"),
                fmt(en["rss"], ".1f"),
                fmt(sm["peak_rss"], ".1f"),
                fmt(en["rss"] - st["rss"], "+.1f"),
            ],
            [
                "peak resident memory VmHWM (MiB)",
                fmt(st["hwm"], ".1f"),
                fmt(en["hwm"], ".1f"),
                fmt(sm["hwm"], ".1f"),
                fmt(en["hwm"] - st["hwm"], "+.1f"),
            ],
            [
                "threads",
                str(st["threads"]),
                str(en["threads"]),
                str(sm["max_threads"]),
                f"{en['threads'] - st['threads']:+d}",
            ],
            [
                "open file descriptors",
                str(st["fds"]),
                str(en["fds"]),
                str(sm["max_fds"]),
                f"{en['fds'] - st['fds']:+d}",
            ],
            [
                "CPU seconds used (user + system)",
                fmt(st["cpu"], ".0f"),
                fmt(en["cpu"], ".0f"),
                "–",
                fmt(en["cpu"] - st["cpu"], "+.0f"),
            ],
        ]
        lines += [
            table(["", f"start ({st['t']:.0f} s)", f"end ({en['t']:.0f} s)", "peak", "end − start"], rows),
            "",
        ]
    problems = res.get("problems") or []
    n_problem = sum(n for _l, n in problems)
    if res.get("responds"):
        quit_txt = f"yes: `q` ended it in {res['quit_latency'] * 1000:.0f} ms (exit code {res.get('rc')})"
    elif res.get("crash"):
        quit_txt = "**no**: it had crashed"
    else:
        quit_txt = f"**no**: still running {soak.QUIT_BOUND:g} s after `q` (killed)"
    flat = sm.get("flat") if sm else None
    verdict = "–" if flat is None else "flat" if flat else "**not flat**"
    by_key = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    cmds = res.get("commands") or {}
    rows = [
        [
            "keys and clicks sent",
            f"{len(keys)} ({by_key}); xdotool failed {res.get('send_failures', 0)} times",
        ],
        [
            "commands the player handled (trace)",
            f"{sum(cmds.values())}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(cmds.items(), key=lambda kv: -kv[1])),
        ],
        [
            "seconds in pause (keys that found it paused)",
            fmt(100 * res["paused_share"], ".0f") + " %" if "paused_share" in res else "?",
        ],
        ["frames shown / dropped (trace)", f"{res.get('frames', '?')} / {res.get('drops', '?')}"],
        ["status lines printed", str(res.get("status_lines", "?"))],
        [
            "returns from the clip's last second to its start (loops, or a seek back from the end)",
            str(res.get("wraps", "?")),
        ],
        ["warning / error lines on stderr", f"{n_problem} ({len(problems)} distinct)"],
        ["tracebacks", str(res.get("tracebacks", "?"))],
        ["crash", res.get("crash") or "none"],
        ["still responding at the end", quit_txt],
        [f"flat (RSS end − start ≤ {soak.FLAT_RSS_MIB:g} MiB, threads and fds equal)", verdict],
    ]
    lines += [table(["", ""], rows)]
    if problems:
        lines += ["", "Lines on stderr other than the status line (count, text):", ""]
        lines += [f"* {n}× `{text.replace('`', chr(39))}`" for text, n in problems[:15]]
        if len(problems) > 15:
            lines.append(f"* … and {len(problems) - 15} more distinct lines")
    lines += [
        "",
        f"![soak: memory, threads and fds over time]({plot_name})"
        if plot_name
        else f"_Plot skipped: {why_no_plot}._",
    ]
    return "\n".join(lines)


def write_section(out: Path, body: str) -> None:
    """Replace the soak block in ``out`` (or append it, below the notes line)."""
    block = f"{BEGIN}\n{body.strip()}\n{END}\n"
    doc = out.read_text(encoding="utf-8") if out.exists() else f"{NOTES_MARKER}\n"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        doc = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        doc = doc.rstrip("\n") + "\n\n" + block
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(out)


def publish(res: dict, out: Path) -> Path:
    """Plot, section and JSON beside ``out``; returns the JSON's path."""
    png = out.parent / "bench_soak.png"
    why = plot(res, png)
    write_section(out, section(res, None if why else png.name, why))
    js = out.parent / "bench_soak.json"
    save(res, js)
    return js

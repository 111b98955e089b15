"""scripts/bench: per-pair ratios and differences, issue 11's targets, the notes split,
the player configurations' pure helpers."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_lib import players, report, targets  # noqa: E402
from bench_lib.stats import ratios  # noqa: E402


def _data(**measures):
    """measure -> config -> [per-pair dicts] from measure=dict(config=[values of "cpu"])."""
    return {
        m: {c: [None if v is None else {"cpu": v} for v in vals] for c, vals in cfg.items()}
        for m, cfg in measures.items()
    }


def test_ratios_are_per_pair_and_skip_missing_values():
    assert ratios([1.0, 2.0, None, 3.0], [2.0, 4.0, 1.0, 0.0]) == [0.5, 0.5, None, None]


def test_diffs_and_fewest():
    assert targets.diffs([5, None, 3], [2, 1, math.nan]) == [3, None, None]
    assert targets.fewest([10, None, 7], [8, 9]) == [8, 9, 7]
    assert targets.fewest([], []) == []


@pytest.mark.parametrize(
    ("op", "bound", "value", "met"),
    [
        ("<=", 1.05, 1.05, True),
        ("<=", 1.05, 1.06, False),
        (">=", 0.9, 0.9, True),
        (">=", 0.9, 0.2, False),
        ("==", 0, 0, True),
        ("==", 0, 3, False),
        ("<=", 1, None, None),
        ("<=", 1, math.nan, None),
    ],
)
def test_target_verdict(op, bound, value, met):
    t = targets.Target("t", "goal", op, bound, value, [])
    assert t.met is met
    assert t.row()[-1] == {True: "met", False: "**not met**", None: "–"}[met]


def test_ratio_target_is_judged_on_the_median_of_the_per_pair_ratios():
    t = targets.ratio_target("cpu", 1.0, [1.0, 3.0, 0.9], [1.0, 1.0, 1.0])
    assert t.value == pytest.approx(1.0) and t.met
    assert t.row()[3] == "1.000, 3.000, 0.900"


def _full_data():
    d = _data(
        **{
            "720p30": {
                "ffplay": [1.0, 1.0],
                "pyffplay": [0.3, 0.4],
                "mpv-x11": [0.5, 0.5],
                "ffplay-sw": [0.3, 0.3],
                "pyffplay-sw": [0.3, 0.4],
                "pyffplay-gpu": [1.0, 1.1],
            },
            "audio": {"ffplay": [0.02, 0.02], "pyffplay": [0.03, 0.02]},
        }
    )
    for c, fd in (("pyffplay", [0, 0]), ("ffplay", [1, 0]), ("mpv-x11", [0, 0])):
        for rec, v in zip(d["720p30"][c], fd):
            rec["fd"] = v
    for c, rss in (("pyffplay", [160, 170]), ("pyffplay-sw", [100, 104]), ("ffplay-sw", [95, 95])):
        for rec, v in zip(d["720p30"][c], rss):
            rec["rss"] = v
    for rec, v in zip(d["720p30"]["pyffplay"], [5.0, 7.0]):
        rec["av95"] = v
    d["1080p60"] = {
        c: [{"fd": v} for v in fds]
        for c, fds in (("pyffplay", [10, 20]), ("ffplay", [30, 15]), ("mpv-x11", [12, 40]))
    }
    d["startup"] = {"ffplay": [{"wall": 1.0}] * 4, "pyffplay": [{"wall": 0.9}] * 4}
    d["untimed-720p30"] = {"pyav": [{"fps": 1000}, {"fps": 1000}]}
    d["untimed-720p30-null"] = {"pyffplay": [{"fps": 950}, {"fps": 850}]}
    return d


def test_evaluate_the_whole_table():
    tg = targets.evaluate(_full_data(), {"seek95": 40.0, "terminal": [0.6, 0.8]})
    by = {t.name: t for t in tg}
    assert len(tg) == 14

    def get(prefix):
        return next(t for name, t in by.items() if name.startswith(prefix))

    assert get("CPU per playback s, 720p30, pyffplay / mpv").value == pytest.approx(0.7)
    assert get("CPU per playback s, 720p30, pyffplay / ffplay, defaults").value == pytest.approx(0.35)
    sw = get("CPU per playback s, 720p30, same renderer: software")
    assert sw.value == pytest.approx((1.0 + 4 / 3) / 2) and sw.met is False
    assert get("CPU per playback s, 720p30, same renderer: OpenGL").value == pytest.approx(1.05)
    assert get("frames dropped, 720p30").met is True
    drops = get("frames dropped, 1080p60")
    assert drops.per_pair == [-2, 5] and drops.value == pytest.approx(1.5) and drops.met is False
    assert get("frames dropped, 2160p30").met is None
    assert get("CPU per playback s, audio only").value == pytest.approx(1.25)
    assert get("start-up").value == pytest.approx(0.9)
    mem = get("peak memory")
    assert mem.per_pair == [5, 9] and mem.met is True
    assert get("untimed").value == pytest.approx(0.9) and get("untimed").met is True
    assert get("terminal").value == pytest.approx(0.7) and get("terminal").met is True
    assert get("\\|A-V\\|").value == pytest.approx(6.0)
    assert get("seek").met is True


def test_evaluate_with_nothing_measured_judges_nothing():
    tg = targets.evaluate({}, {})
    assert all(t.met is None for t in tg)
    assert "not measured" in next(t for t in tg if t.name.startswith("terminal")).row()[0]


# --- the notes split ---------------------------------------------------------------------


def test_split_notes_ignores_a_mention_inside_a_sentence():
    text = (
        "# R\n\nEverything above the `<!-- notes -->` line is generated.\n\nfig\n\n<!-- notes -->\n\nmine\n"
    )
    gen, notes = report.split_notes(text)
    assert gen.endswith("fig\n\n") and notes == "\n\nmine\n"
    assert report.split_notes("no marker here\n") == ("no marker here\n", None)


def _write(out, header="# R"):
    report.write(
        out,
        header=header,
        machine_rows=[("cores", "2")],
        version_rows=[("x", "1")],
        method="m",
        targets=[["t", "g", "1", "1", "met"]],
        figures_md="f",
        extra_md="",
    )


def test_regenerating_keeps_the_notes_and_never_quotes_the_marker(tmp_path):
    out = tmp_path / "B.md"
    _write(out)
    text = out.read_text()
    assert text.count(report.NOTES_MARKER) == 1
    out.write_text(text + "\n## Mine\n\nhand-written, mentions `<!-- notes -->` inline\n")
    _write(out, header="# R2")
    text = out.read_text()
    assert text.startswith("# R2") and text.count("## Mine") == 1
    gen, notes = report.split_notes(text)
    assert "hand-written" in notes and "hand-written" not in gen


def test_a_generated_part_holding_the_marker_line_is_refused(tmp_path):
    with pytest.raises(ValueError):
        _write(tmp_path / "B.md", header="# R\n\n" + report.NOTES_MARKER + "\n")


def test_the_checked_in_report_has_one_marker_line_and_a_clean_header():
    text = (Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md").read_text()
    gen, notes = report.split_notes(text)
    assert notes is not None
    assert report.NOTES_MARKER not in gen
    assert "Round two" not in gen and "Round two" in notes


# --- players -----------------------------------------------------------------------------


def test_order_alternates_between_pairs():
    assert players.order(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert players.order(["a", "b", "c"], 1) == ["c", "b", "a"]


def test_read_mpv_out(tmp_path):
    p = tmp_path / "m.json"
    p.write_text(
        json.dumps({"drops": 3, "decoder_drops": 2, "delayed": 1, "av": [[1.0, 0.01], [1.25, -0.02]]})
    )
    assert players.read_mpv_out(p) == {"fd": 5, "delayed": 1, "points": [(1.0, 0.01), (1.25, -0.02)]}
    assert players.read_mpv_out(tmp_path / "missing.json") is None


def test_renderer_names():
    assert players.ffplay_renderer("x\n[verbose] Initialized opengl renderer.\n") == "opengl"
    assert players.ffplay_renderer("nothing") is None
    trace = [{"ev": "start"}, {"ev": "output", "vo": "sdl", "renderer": "software"}]
    assert players.pyffplay_renderer(trace) == "software"
    assert players.pyffplay_renderer([{"ev": "output", "vo": "NullOutput"}]) == "NullOutput"
    assert players.pyffplay_renderer([]) is None


def test_every_default_configuration_is_known():
    assert set(players.DEFAULT_SET) <= set(players.CONFIGS)
    assert players.CONFIGS["ffplay-sw"].env["SDL_RENDER_DRIVER"] == "software"


def test_plots_are_skipped_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    why = report.plot_cpu({"a": [(1e6, 0.5)]}, {1e6: "x"}, tmp_path / "p.png")
    assert "plot skipped" in why and not (tmp_path / "p.png").exists()
    assert "plot skipped" in report.plot_av({"a": [[(1.0, 0.0)]]}, 10, tmp_path / "q.png")

"""scripts/bench --soak: the /proc sampler, the flatness verdict and the report section."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_lib import soak, soak_report  # noqa: E402


def _sample(t, rss, threads=16, fds=14, hwm=None):
    return {
        "t": t,
        "rss": rss,
        "hwm": hwm if hwm is not None else rss,
        "threads": threads,
        "fds": fds,
        "cpu": t / 4,
    }


def _result(samples):
    return {
        "seed": 7,
        "minutes": 1,
        "clip": "c.mp4",
        "date": "2026-12-02 04:00 UTC",
        "revision": "abc1234 2026-12-02 subject + words",
        "load_start": [1, 2, 3],
        "load_end": [1, 2, 3],
        "busy_cores": 1.5,
        "cores": 2,
        "samples": samples,
        "keys": [[1.0, "Left", True], [2.0, "a", True], [3.0, "p", False]],
        "send_failures": 1,
        "crash": None,
        "responds": True,
        "quit_latency": 0.05,
        "rc": 0,
        "problems": [["pyffplay: warning: something", 2]],
        "tracebacks": 0,
        "status_lines": 100,
        "commands": {"seek": 1, "pause": 1, "quit": 1},
        "frames": 90,
        "drops": 0,
    }


def test_sample_reads_this_process():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        s = soak.sample(os.getpid())
        assert s["threads"] >= 2
        assert s["fds"] >= 3
        assert 1 < s["rss"] <= s["hwm"]
    finally:
        stop.set()
        t.join()


def test_sample_of_a_gone_process_is_none():
    assert soak.sample(2**22 + 12345) is None


def test_flat_is_judged_from_the_first_sample_after_warmup():
    flat = soak.summary(_result([_sample(0, 100), _sample(10, 170), _sample(60, 185)]))
    assert flat["start"]["t"] == 10 and flat["end"]["t"] == 60 and flat["flat"]
    assert flat["peak_rss"] == 185
    grew = soak.summary(_result([_sample(10, 170), _sample(60, 191)]))
    assert not grew["flat"]
    more_fds = soak.summary(_result([_sample(10, 170), _sample(60, 170, fds=15)]))
    assert not more_fds["flat"]
    more_threads = soak.summary(_result([_sample(10, 170), _sample(60, 170, threads=17)]))
    assert not more_threads["flat"]


def test_problem_lines_skip_status_lines_and_count_repeats():
    text = (
        "   1.00 A-V:  0.001 fd=   0 aq=   16KB vq=  200KB sq=    0B \r"
        "pyffplay: warning: x\n   2.00 A-V:  0.001 fd=   0 aq=   16KB vq=  200KB sq=    0B \r"
        "pyffplay: warning: x\nTraceback (most recent call last):\n"
    )
    assert soak.problem_lines(text) == [
        ("pyffplay: warning: x", 2),
        ("Traceback (most recent call last):", 1),
    ]


def test_section_is_replaced_and_the_rest_of_the_report_kept(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        "# Report\n\n<!-- notes -->\n## Findings\n\ntext\n\n<!-- terminal -->\nT\n<!-- /terminal -->\n",
        encoding="utf-8",
    )
    res = _result([_sample(10, 170), _sample(60, 175)])
    soak_report.publish(res, out)
    first = out.read_text(encoding="utf-8")
    assert first.startswith("# Report\n\n<!-- notes -->\n## Findings\n\ntext\n")
    assert "<!-- terminal -->\nT\n<!-- /terminal -->" in first
    assert first.count(soak_report.BEGIN) == 1 and first.rstrip().endswith(soak_report.END)
    assert "| resident memory VmRSS (MiB) | 170.0 | 175.0 | 175.0 | +5.0 |" in first
    assert "commit abc1234 2026-12-02)" in first
    assert "2× `pyffplay: warning: something`" in first
    # regenerated from the saved JSON: the same block, once
    saved = soak_report.load(tmp_path / "bench_soak.json")
    soak_report.publish(saved, out)
    assert out.read_text(encoding="utf-8") == first


def test_section_of_a_report_that_does_not_exist_lies_below_the_notes_line(tmp_path):
    out = tmp_path / "new.md"
    soak_report.write_section(out, "## Soak\n\nbody")
    text = out.read_text(encoding="utf-8")
    assert text.index("<!-- notes -->") < text.index(soak_report.BEGIN)


def test_wraps_count_returns_from_the_end_to_the_start():
    nan = float("nan")
    assert soak.wraps([nan, 0.1, 12.0, 23.5, 0.0, 5.0, 23.2, nan, 1.5, 23.9, 10.0], 24.0) == 2


def test_pause_model_follows_step_and_toggles():
    m = soak.PauseModel()
    for key, paused in (
        ("Left", False),
        ("s", True),
        ("s", True),
        ("space", False),
        ("p", True),
        ("m", True),
        ("p", False),
        (None, False),
    ):
        m.after(key)
        assert m.paused is paused, key
    assert m.keys_paused == 0 and m.keys_paused_total == 4


def test_a_regenerated_ab_report_keeps_the_soak_section(tmp_path):
    from bench_lib import report

    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# old\n\n<!-- notes -->\n## Findings\n", encoding="utf-8")
    soak_report.write_section(out, "## Soak\n\nbody")
    report.write(
        out,
        header="# new",
        machine_rows=[],
        version_rows=[],
        method="m",
        targets=[],
        figures_md="f",
        extra_md="",
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# new") and "# old" not in text
    assert f"{soak_report.BEGIN}\n## Soak\n\nbody\n{soak_report.END}" in text


def test_view_model_follows_f():
    v = soak.ViewModel()
    for key in ["f", "p", "f", "f", None]:
        v.after(key)
    assert v.fullscreen


def test_summary_prefers_the_settled_samples(tmp_path):
    samples = [_sample(12, 170, hwm=170), _sample(14, 171), _sample(300, 205), _sample(304, 176)]
    samples[1]["mark"] = "start"
    samples[3]["mark"] = "end"
    sm = soak.summary(_result(samples))
    assert (sm["start"]["rss"], sm["end"]["rss"], sm["peak_rss"]) == (171, 176, 205)
    assert sm["flat"]


def test_show_modes_read_from_the_trace(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"ev": "frame", "t": 1}\n{"ev": "show_mode", "t": 2, "mode": "waves"}\n{"ev"')
    assert soak.show_modes(trace) == ["video", "waves"]

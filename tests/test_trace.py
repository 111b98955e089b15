"""-trace_file lines are valid JSON, NaN becomes null, and nothing is written when off."""

import json
import math

from pyffplay.trace import Trace


def test_events_are_json_lines_with_null_for_nan(tmp_path):
    path = tmp_path / "t.jsonl"
    trace = Trace(str(path))
    assert trace.enabled
    trace.event("start", t=1.25)
    trace.event("frame", t=2.0, pts=0.5, serial=3, master=math.nan, av_diff=-0.001)
    trace.event("command", t=3.0, command=["seek", -10.0], paused=True, reason=None, kind='a"b')
    trace.close()
    trace.event("late", t=4.0)  # after close: ignored, no error
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {"ev": "start", "t": 1.25},
        {"ev": "frame", "t": 2.0, "pts": 0.5, "serial": 3, "master": None, "av_diff": -0.001},
        {
            "ev": "command",
            "t": 3.0,
            "command": ["seek", -10.0],
            "paused": True,
            "reason": None,
            "kind": 'a"b',
        },
    ]


def test_default_time_is_monotonic_and_disabled_trace_writes_nothing(tmp_path):
    import time

    path = tmp_path / "t.jsonl"
    trace = Trace(str(path))
    before = time.monotonic()
    trace.event("x")
    trace.close()
    (line,) = path.read_text().splitlines()
    assert before <= json.loads(line)["t"] <= time.monotonic()
    off = Trace(None)
    assert not off.enabled
    off.event("frame", pts=1.0)
    off.close()

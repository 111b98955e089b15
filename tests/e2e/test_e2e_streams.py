"""Stream selection (-ast/-vst/-sst) and switching (a, v, t, c; the API), heard and traced.

The test file has two audio tracks with different tones (440 Hz "eng", 1000 Hz "fra") and
two SRT subtitle tracks: which audio track plays is read off the sink's monitor.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import pyffplay
from tests.media_tracks import dominant_frequency, make_tracks
from tests.observe import _wait_until

LOW, HIGH = 440.0, 1000.0


@pytest.fixture(scope="session")
def tracks_clip(media):
    path = media.path("tracks.mkv")
    if not path.exists():
        make_tracks(path, duration=8.0, tones=(LOW, HIGH))
    return path


def _tone(mon, t0: float, t1: float) -> float:
    x, t = mon.samples()
    sel = x[(t >= t0) & (t < t1)]
    return dominant_frequency(sel, mon.RATE)


def _first_frame_time(run) -> float:
    frames = _wait_until(
        lambda: [e for e in run.trace() if e["ev"] == "frame"] if run.trace_path.exists() else None,
        20,
        what="a frame shown",
    )
    return frames[0]["t"]


@pytest.mark.parametrize("spec, tone", [("a:1", HIGH), ("1", LOW), ("m:language:fra", HIGH), ("a:0", LOW)])
def test_ast_chooses_the_audio_track(player, audio_monitor, tracks_clip, spec, tone):
    mon = audio_monitor()
    run = player.start("-ast", spec, "-autoexit", "-t", "2.5", tracks_clip)
    rc = run.wait(30)
    mon.stop()
    assert rc == 0, run.stderr()[-2000:]
    t0 = [e for e in run.trace() if e["ev"] == "frame"][0]["t"]
    heard = _tone(mon, t0 + 0.5, t0 + 2.0)
    assert heard == pytest.approx(tone, rel=0.05), f"-ast {spec}: heard {heard:.0f} Hz"


def test_ast_that_matches_nothing_warns_and_plays_without_that_stream(player, tracks_clip):
    run = player.run("-ast", "a:7", "-autoexit", "-t", "1", tracks_clip, timeout=30)
    assert run.proc.returncode == 0, run.stderr()[-2000:]
    assert "Stream specifier a:7 does not match any audio stream" in run.stderr()
    opened = run.events("open")[0]
    assert opened["video"] is True and opened["audio"] is False


def test_a_key_switches_the_heard_track_at_once(player, x11, audio_monitor, tracks_clip):
    title = "pyffplay-streams"
    run = player.start("-window_title", title, tracks_clip)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    mon = audio_monitor()
    time.sleep(0.8)
    k0, k1 = x11.key(wid, "a")
    _wait_until(lambda: run.events("stream"), 10, what="the stream event")
    time.sleep(1.2)
    x11.key(wid, "t")
    _wait_until(lambda: len(run.events("stream")) >= 2, 10, what="the subtitle switch")
    x11.key(wid, "t")
    _wait_until(lambda: len(run.events("stream")) >= 3, 10, what="subtitles off")
    x11.key(wid, "q")
    rc = run.wait(10)
    mon.stop()
    assert rc == 0, run.stderr()[-2000:]
    switch = run.events("stream")
    assert [(e["type"], e["from"], e["to"]) for e in switch] == [
        ("audio", 1, 2),
        ("subtitle", 3, 4),
        ("subtitle", 4, -1),
    ], switch
    assert "Switch audio stream from #1 to #2" in run.stderr()
    before = _tone(mon, k0 - 0.7, k0)
    after = _tone(mon, switch[0]["t"] + 0.25, switch[0]["t"] + 1.0)
    assert before == pytest.approx(LOW, rel=0.05), f"before the switch: {before:.0f} Hz"
    assert after == pytest.approx(HIGH, rel=0.05), f"after the switch: {after:.0f} Hz"
    # Playback went on from where it was: no jump back to the demuxer's position.
    frames = [e for e in run.trace() if e["ev"] == "frame"]
    pts = [f["pts"] for f in frames]
    back = max((a - b for a, b in zip(pts, pts[1:])), default=0.0)
    # At most the picture on screen once more (a race between the switch and the refresh on a
    # loaded machine), never a jump back to the demuxer's position (a second or more).
    assert back <= 0.07, f"pictures went back {back:.3f} s at the switch"
    x, t = mon.samples()
    late = x[(t >= switch[0]["t"] + 0.25) & (t < switch[0]["t"] + 1.0)]
    spectrum = np.abs(np.fft.rfft(late * np.hanning(late.size)))
    freqs = np.fft.rfftfreq(late.size, 1 / mon.RATE)
    low_energy = spectrum[(freqs > LOW - 30) & (freqs < LOW + 30)].max()
    assert low_energy < 0.05 * spectrum.max(), "the old track is still heard after the switch"


def test_api_cycles_streams_and_reports_them(tracks_clip):
    events = []
    with pyffplay.Player(
        str(tracks_clip),
        vo="null",
        ao="null",
        autoexit=True,
        t=3,
        on_event=lambda n, d: events.append((n, d)),
    ) as p:
        p.play()
        _wait_until(lambda: p.position is not None, 20, what="playing")
        assert [s["index"] for s in p.streams if s["selected"]] == [0, 1, 3]
        p.cycle_stream("audio")
        _wait_until(lambda: [s["index"] for s in p.streams if s["selected"]] == [0, 2, 3], 10, what="audio 2")
        p.cycle_stream("program")  # video (only one: stays), audio back to 1, subtitle to 4
        _wait_until(
            lambda: [s["index"] for s in p.streams if s["selected"]] == [0, 1, 4],
            10,
            what="audio 1 and subtitle 4",
        )
        assert p.wait(30) == "eof", p.error
    switches = [(d["type"], d["old"], d["new"]) for n, d in events if n == "stream"]
    assert switches == [("audio", 1, 2), ("audio", 2, 1), ("subtitle", 3, 4)], switches
    with pytest.raises(ValueError):
        p.cycle_stream("chapters")


@pytest.fixture(scope="session")
def two_programs(media):
    from tests.media_programs import make_two_programs

    path = media.path("two_programs.ts")
    return path if path.exists() else make_two_programs(path, duration=6.0)


def _selected(p):
    return [s["index"] for s in p.streams if s["selected"]]


def test_programs_restrict_audio_and_c_changes_program(two_programs):
    """Program 1 = video 0 + audio 1, program 2 = video 2 + audio 3 (ffplay's rules: a and t
    stay within the video's program; c cycles video, then audio and subtitles after it)."""
    with pyffplay.Player(str(two_programs), vo="null", ao="null") as p:
        p.play()
        _wait_until(lambda: p.position is not None, 20, what="playing")
        assert _selected(p) == [0, 1]
        p.cycle_stream("audio")  # the only audio of program 1: nothing changes
        time.sleep(0.5)
        assert _selected(p) == [0, 1]
        p.cycle_stream("program")
        _wait_until(lambda: _selected(p) == [2, 3], 10, what="program 2's video and audio")
        p.cycle_stream("program")
        _wait_until(lambda: _selected(p) == [0, 1], 10, what="back to program 1")
    with pyffplay.Player(str(two_programs), vo="null", ao="null", ast="p:2:a") as p:
        p.play()
        _wait_until(lambda: p.position is not None, 20, what="playing")
        assert _selected(p) == [0, 3]

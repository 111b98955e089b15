"""What the sound server really plays, recorded from the sink's monitor."""

import time

import numpy as np

from tests.media import TONE_AMPLITUDE

TONE_RMS = TONE_AMPLITUDE / np.sqrt(2)


def test_heard_clicks_line_up_with_shown_frames(player, audio_monitor, clip_short):
    mon = audio_monitor()
    run = player.start("-autoexit", clip_short)
    rc = run.wait(20)
    time.sleep(0.2)
    mon.stop()
    assert rc == 0, run.stderr()[-2000:]
    frames = [e for e in run.trace() if e["ev"] == "frame"]
    clicks = mon.clicks()
    assert len(clicks) >= 3, f"heard {len(clicks)} clicks; expected one a second"
    offsets = []
    for second in (1.0, 2.0, 3.0):
        shown = [f for f in frames if abs(f["pts"] - second) < 0.017]
        if not shown:
            continue
        t_frame = shown[0]["t"]
        near = [c for c in clicks if abs(c - t_frame) < 0.5]
        assert near, f"no click heard within 0.5 s of frame {second}s shown at {t_frame}"
        offsets.append(near[0] - t_frame)
    assert len(offsets) >= 2, "the frames at whole seconds were not shown"
    print("click heard - frame shown (s):", [round(o, 4) for o in offsets])
    # + means the click was heard after the frame was shown; the recording adds ~0-30 ms
    assert all(-0.060 <= o <= 0.100 for o in offsets), (
        f"audio heard vs frame shown (s): {[round(o, 3) for o in offsets]}"
    )


def test_mute_key_silences_and_restores_sound(player, x11, audio_monitor, clip_long):
    title = "pyffplay-mute"
    run = player.start("-window_title", title, clip_long)
    wid = x11.find_window(title, timeout=20, proc=run.proc)
    run.wait_clock(1.0, timeout=20)
    mon = audio_monitor()
    time.sleep(1.0)
    m0, m1 = x11.key(wid, "m")
    time.sleep(1.0)
    u0, u1 = x11.key(wid, "m")
    time.sleep(1.0)
    x11.key(wid, "q")
    rc = run.wait(10)
    mon.stop()
    assert rc == 0, run.stderr()[-2000:]
    before = mon.rms_between(m0 - 0.8, m0 - 0.1)
    muted = mon.rms_between(m1 + 0.3, u0)
    after = mon.rms_between(u1 + 0.3, u1 + 0.9)
    print(f"RMS before/muted/after: {before:.4f} {muted:.4f} {after:.4f}")
    assert abs(before - TONE_RMS) < 0.3 * TONE_RMS, f"RMS before mute {before:.4f}"
    assert muted < 0.01, f"RMS while muted {muted:.4f}"
    assert abs(after - TONE_RMS) < 0.3 * TONE_RMS, f"RMS after unmute {after:.4f}"


def test_volume_option_scales_the_sound(player, audio_monitor, clip_short):
    mon = audio_monitor()
    run = player.start("-volume", "50", "-autoexit", clip_short)
    rc = run.wait(20)
    mon.stop()
    assert rc == 0, run.stderr()[-2000:]
    frames = [e for e in run.trace() if e["ev"] == "frame"]
    t0 = frames[0]["t"]
    level = mon.rms_between(t0 + 0.5, t0 + 3.0)
    print(f"RMS at -volume 50: {level:.4f}; full {TONE_RMS:.4f}")
    assert abs(level - 0.5 * TONE_RMS) < 0.15 * TONE_RMS, (
        f"RMS at -volume 50: {level:.4f} (full volume is {TONE_RMS:.4f})"
    )


def test_no_sound_device_warns_once_and_plays_video(player, clip_short):
    # A sound server that is not there: PortAudio finds no output device.
    run = player.start("-autoexit", clip_short, env={"PULSE_SERVER": "unix:/nonexistent/pulse"})
    rc = run.wait(20)
    assert rc == 0, run.stderr()[-2000:]
    err = run.stderr()
    warnings = [line for line in err.replace("\r", "\n").splitlines() if "warning" in line]
    assert len(warnings) == 1 and "playing without sound" in warnings[0], warnings
    assert "Traceback" not in err
    trace = run.trace()
    opened = [e for e in trace if e["ev"] == "open"][0]
    # The audio still plays, to the null device, so the audio clock leads as with sound.
    assert opened["video"] is True and opened["audio"] is True and opened["ao"] == "null"
    frames = [e for e in trace if e["ev"] == "frame"]
    assert frames[-1]["pts"] >= 4.0 - 0.1, frames[-1]
    # Video paces itself on the null device's audio clock: the 4 s clip takes about 4 s.
    assert 3.5 < frames[-1]["t"] - frames[0]["t"] < 4.6
    assert "A-V" in err


def test_the_sound_starts_after_the_first_picture_is_on_screen(player, clip_short):
    """The preroll (mpv's, not ffplay's): the audio clock does not run before there is a
    picture to keep in step with it, so the first pictures are not dropped as late."""
    run = player.start("-autoexit", "-t", "1.5", clip_short)
    assert run.wait(20) == 0, run.stderr()[-2000:]
    trace = run.trace()
    kinds = [e["ev"] for e in trace]
    assert "preroll" in kinds, "no preroll in the trace"
    preroll = kinds.index("preroll")
    first_frame = kinds.index("frame")
    first_sound = next(i for i, e in enumerate(trace) if e["ev"] == "audio" and e.get("clock") is not None)
    assert first_frame < preroll < first_sound, [kinds[i] for i in (first_frame, preroll, first_sound)]
    assert trace[preroll]["t"] >= trace[first_frame]["t"]

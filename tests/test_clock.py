"""Clocks and the A/V sync arithmetic (ffplay-internals.md sections 4, 5 and 11.5).

Time is injected: ``FakeTime`` is a settable time source, so nothing here sleeps.
"""

from __future__ import annotations

import math

import pytest

from pyffplay.clock import (
    AUDIO_DIFF_AVG_NB,
    AV_NOSYNC_THRESHOLD,
    AV_SYNC_AUDIO_MASTER,
    AV_SYNC_EXTERNAL_CLOCK,
    AV_SYNC_FRAMEDUP_THRESHOLD,
    AV_SYNC_THRESHOLD_MAX,
    AV_SYNC_THRESHOLD_MIN,
    AV_SYNC_VIDEO_MASTER,
    EXTERNAL_CLOCK_SPEED_MAX,
    EXTERNAL_CLOCK_SPEED_MIN,
    EXTERNAL_CLOCK_SPEED_STEP,
    SDL_MIX_MAXVOLUME,
    SDL_VOLUME_STEP,
    AudioSync,
    Clock,
    compute_target_delay,
    external_clock_speed,
    master_sync_type,
    startup_volume,
    update_volume,
    vp_duration,
)
from pyffplay.packet_queue import PacketQueue

approx = pytest.approx


class FakeTime:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def test_constants_are_ffplays():
    assert (AV_SYNC_THRESHOLD_MIN, AV_SYNC_THRESHOLD_MAX) == (0.04, 0.1)
    assert AV_SYNC_FRAMEDUP_THRESHOLD == 0.1
    assert AV_NOSYNC_THRESHOLD == 10.0
    assert AUDIO_DIFF_AVG_NB == 20
    assert (EXTERNAL_CLOCK_SPEED_MIN, EXTERNAL_CLOCK_SPEED_MAX, EXTERNAL_CLOCK_SPEED_STEP) == (
        0.9,
        1.01,
        0.001,
    )
    assert (SDL_MIX_MAXVOLUME, SDL_VOLUME_STEP) == (128, 0.75)


# --- Clock ----------------------------------------------------------------------------


def queue_clock(now: FakeTime):
    q = PacketQueue()
    q.start()
    return q, Clock(lambda: q.serial, now=now)


def test_new_clock_is_nan():
    now = FakeTime()
    _, c = queue_clock(now)
    assert c.serial == -1
    assert c.speed == 1.0 and not c.paused
    assert math.isnan(c.get())
    ext = Clock(now=now)  # follows its own serial (extclk)
    assert math.isnan(ext.get())


def test_get_is_pts_plus_elapsed_time():
    now = FakeTime(500.0)
    q, c = queue_clock(now)
    c.set(5.0, q.serial)
    assert c.get() == approx(5.0)
    assert (c.pts, c.last_updated, c.pts_drift) == (5.0, 500.0, approx(5.0 - 500.0))
    now.advance(0.25)
    assert c.get() == approx(5.25)
    now.advance(2.0)
    assert c.get() == approx(7.25)


def test_set_at_uses_the_given_time():
    now = FakeTime(100.0)
    q, c = queue_clock(now)
    c.set_at(3.0, q.serial, 99.5)  # measured half a second ago (audio callback time)
    assert c.last_updated == 99.5
    assert c.get() == approx(3.5)


def test_clock_is_nan_when_queue_serial_differs():
    now = FakeTime()
    q, c = queue_clock(now)
    c.set(10.0, q.serial)
    assert c.get() == approx(10.0)
    q.flush()  # seek: serial++
    assert math.isnan(c.get())
    c.set(42.0, q.serial - 1)  # a late frame of the old serial does not revive it
    assert math.isnan(c.get())
    c.set(42.0, q.serial)
    assert c.get() == approx(42.0)


def test_paused_clock_returns_pts():
    now = FakeTime()
    q, c = queue_clock(now)
    c.set(8.0, q.serial)
    now.advance(1.0)
    c.paused = True
    assert c.get() == 8.0  # the pts, not pts + elapsed
    now.advance(5.0)
    assert c.get() == 8.0
    c.paused = False
    assert c.get() == approx(14.0)


def test_paused_clock_with_stale_serial_is_still_nan():
    now = FakeTime()
    q, c = queue_clock(now)
    c.set(8.0, q.serial)
    c.paused = True
    q.flush()
    assert math.isnan(c.get())


def test_set_speed_rebases_then_runs_at_the_new_speed():
    now = FakeTime(100.0)
    q, c = queue_clock(now)
    c.set(10.0, q.serial)
    now.advance(2.0)
    c.set_speed(0.5)
    assert c.speed == 0.5
    assert c.pts == approx(12.0)  # rebased at the current value
    assert c.last_updated == 102.0
    assert c.get() == approx(12.0)
    now.advance(2.0)
    assert c.get() == approx(13.0)
    c.set_speed(1.01)
    now.advance(100.0)
    assert c.get() == approx(13.0 + 101.0)


def test_speed_applies_from_last_update():
    now = FakeTime(0.5)
    q, c = queue_clock(now)
    c.speed = 0.9
    c.set(1.0, q.serial)
    now.advance(10.0)
    assert c.get() == approx(1.0 + 9.0)


def test_sync_to_slave_sets_an_unset_clock():
    now = FakeTime()
    audq, aud = queue_clock(now)
    ext = Clock(now=now)
    aud.set(5.0, audq.serial)
    ext.sync_to_slave(aud)
    assert ext.get() == approx(5.0)
    assert ext.serial == aud.serial
    now.advance(1.0)
    assert ext.get() == approx(6.0)


def test_sync_to_slave_ignores_small_differences():
    now = FakeTime()
    audq, aud = queue_clock(now)
    ext = Clock(now=now)
    ext.set(20.0, 0)
    for audio in (25.0, 30.0, 10.0):  # 5, 10 (not more than 10) and -10 s apart
        aud.set(audio, audq.serial)
        ext.sync_to_slave(aud)
        assert ext.get() == approx(20.0)
        assert ext.serial == 0


def test_sync_to_slave_follows_a_far_slave():
    now = FakeTime()
    audq, aud = queue_clock(now)
    ext = Clock(now=now)
    ext.set(20.0, 0)
    aud.set(30.5, audq.serial)
    ext.sync_to_slave(aud)
    assert ext.get() == approx(30.5)
    assert ext.serial == audq.serial
    aud.set(9.0, audq.serial)  # backwards by more than 10 s too
    ext.sync_to_slave(aud)
    assert ext.get() == approx(9.0)


def test_sync_to_slave_ignores_a_nan_slave():
    now = FakeTime()
    audq, aud = queue_clock(now)
    ext = Clock(now=now)
    ext.set(20.0, 0)
    aud.set(100.0, audq.serial)
    audq.flush()  # slave obsolete: NaN
    ext.sync_to_slave(aud)
    assert ext.get() == approx(20.0)
    fresh = Clock(now=now)
    fresh.sync_to_slave(aud)
    assert math.isnan(fresh.get())


@pytest.mark.parametrize(
    "wanted, has_video, has_audio, master",
    [
        (AV_SYNC_AUDIO_MASTER, True, True, AV_SYNC_AUDIO_MASTER),
        (AV_SYNC_AUDIO_MASTER, True, False, AV_SYNC_EXTERNAL_CLOCK),  # -an: external clock
        (AV_SYNC_AUDIO_MASTER, False, False, AV_SYNC_EXTERNAL_CLOCK),
        (AV_SYNC_AUDIO_MASTER, False, True, AV_SYNC_AUDIO_MASTER),
        (AV_SYNC_VIDEO_MASTER, True, True, AV_SYNC_VIDEO_MASTER),
        (AV_SYNC_VIDEO_MASTER, False, True, AV_SYNC_AUDIO_MASTER),
        (AV_SYNC_VIDEO_MASTER, False, False, AV_SYNC_AUDIO_MASTER),  # as ffplay: no 2nd fallback
        (AV_SYNC_EXTERNAL_CLOCK, True, True, AV_SYNC_EXTERNAL_CLOCK),
        (AV_SYNC_EXTERNAL_CLOCK, False, False, AV_SYNC_EXTERNAL_CLOCK),
    ],
)
def test_master_sync_type(wanted, has_video, has_audio, master):
    assert master_sync_type(wanted, has_video, has_audio) == master


def test_sync_type_names_match_the_sync_option():
    assert (AV_SYNC_AUDIO_MASTER, AV_SYNC_VIDEO_MASTER, AV_SYNC_EXTERNAL_CLOCK) == ("audio", "video", "ext")


# --- compute_target_delay -------------------------------------------------------------

MAXD = 3600.0


@pytest.mark.parametrize(
    "delay, diff, expected",
    [
        # video behind the master by at least the threshold: shorten the delay...
        (0.2, -0.15, 0.05),
        (0.04, -0.04, 0.0),  # diff == -threshold counts (<=)
        (0.1, -0.1, 0.0),
        # ...but never below 0
        (0.04, -0.2, 0.0),
        (0.2, -5.0, 0.0),
        # video ahead and a long frame (> 0.1 s): add the whole diff
        (0.2, 0.15, 0.35),
        (0.5, 0.1, 0.6),  # threshold clamps to 0.1 for long frames
        # video ahead and a short frame: duplicate it (double the delay)
        (0.04, 0.05, 0.08),
        (0.1, 0.1, 0.2),  # delay == 0.1 is not > FRAMEDUP_THRESHOLD
        (0.02, 0.04, 0.04),  # threshold clamps to 0.04 for very short frames
        # inside the dead band: unchanged
        (0.04, 0.039, 0.04),
        (0.04, -0.039, 0.04),
        (0.1, -0.06, 0.1),
        (0.5, 0.099, 0.5),
        (0.04, 0.0, 0.04),
        (0.0, 0.03, 0.0),
    ],
)
def test_compute_target_delay_branches(delay, diff, expected):
    assert compute_target_delay(delay, diff, MAXD) == approx(expected)


def test_nan_diff_leaves_delay_unchanged():
    assert compute_target_delay(0.04, math.nan, MAXD) == 0.04
    assert compute_target_delay(0.04, math.nan, MAXD, smoothing=0.5) == 0.04


@pytest.mark.parametrize("diff", [10.0, -10.0, 12.0, -50.0])
def test_diff_beyond_max_frame_duration_leaves_delay_unchanged(diff):
    assert compute_target_delay(0.04, diff, 10.0) == 0.04
    assert compute_target_delay(0.2, diff, 10.0) == 0.2


def test_diff_just_inside_max_frame_duration_is_corrected():
    assert compute_target_delay(0.04, -9.9, 10.0) == 0.0
    assert compute_target_delay(0.2, 9.9, 10.0) == approx(10.1)


def test_dead_band_smoothing():
    # smoothing 0 (ffplay): untouched; smoothing > 0 corrects that fraction of the diff
    assert compute_target_delay(0.04, -0.03, MAXD, smoothing=0.0) == 0.04
    assert compute_target_delay(0.04, -0.03, MAXD, smoothing=0.1) == approx(0.037)
    assert compute_target_delay(0.04, 0.03, MAXD, smoothing=0.1) == approx(0.043)
    assert compute_target_delay(0.1, -0.09, MAXD, smoothing=0.5) == approx(0.055)
    # outside the dead band smoothing does not matter
    assert compute_target_delay(0.2, -0.15, MAXD, smoothing=0.5) == approx(0.05)
    assert compute_target_delay(0.04, 0.05, MAXD, smoothing=0.5) == approx(0.08)


# --- vp_duration ----------------------------------------------------------------------


def test_vp_duration_is_the_pts_difference():
    assert vp_duration(1.0, 3, 0.04, 1.04, 3, MAXD) == approx(0.04)
    assert vp_duration(1.0, 3, 0.04, 1.5, 3, MAXD) == approx(0.5)
    assert vp_duration(0.0, 3, 0.04, 10.0, 3, 10.0) == 10.0  # == max is allowed


@pytest.mark.parametrize(
    "last_pts, pts",
    [
        (math.nan, 1.0),  # NaN difference
        (1.0, math.nan),
        (1.0, 1.0),  # 0
        (2.0, 1.0),  # negative
        (0.0, 10.5),  # longer than max_frame_duration (10)
    ],
)
def test_vp_duration_falls_back_to_the_frame_duration(last_pts, pts):
    assert vp_duration(last_pts, 7, 0.0417, pts, 7, 10.0) == 0.0417


def test_vp_duration_across_serials_is_zero():
    assert vp_duration(1.0, 1, 0.04, 1.04, 2, MAXD) == 0.0
    assert vp_duration(math.nan, 1, 0.04, math.nan, 2, MAXD) == 0.0


# --- AudioSync (synchronize_audio) ----------------------------------------------------

RATE = 48000
THRESHOLD = 2 * 1024 * 4 / 192000  # audio_hw_buf_size / bytes_per_sec, ~42.7 ms


def warm_up(sync: AudioSync, diff: float, nb: int = 1024) -> None:
    for _ in range(AUDIO_DIFF_AVG_NB):
        assert sync.wanted_samples(nb, diff, RATE) == nb


def test_audio_sync_coefficient():
    sync = AudioSync(THRESHOLD)
    assert sync.avg_coef == approx(0.794328, abs=1e-6)
    assert sync.avg_coef**20 == approx(0.01)


def test_no_correction_during_the_first_twenty_measurements():
    sync = AudioSync(THRESHOLD)
    warm_up(sync, 0.05)
    assert sync.avg_count == AUDIO_DIFF_AVG_NB
    assert sync.wanted_samples(1024, 0.05, RATE) != 1024  # the 21st corrects


def test_correction_is_clamped_to_ten_percent_with_int_math():
    sync = AudioSync(THRESHOLD)
    warm_up(sync, 0.05)
    # 1024 + 2400 wanted; max = 1024 * 110 / 100 = 1126 (C int division)
    assert sync.wanted_samples(1024, 0.05, RATE) == 1126
    sync = AudioSync(THRESHOLD)
    warm_up(sync, -0.05)
    # min = 1024 * 90 / 100 = 921
    assert sync.wanted_samples(1024, -0.05, RATE) == 921


def test_correction_within_bounds_truncates_toward_zero():
    nb = 48000  # large buffer so the ±10 % bounds (±4800) do not bite
    sync = AudioSync(THRESHOLD)
    warm_up(sync, 0.0501, nb)
    assert sync.wanted_samples(nb, 0.0501, RATE) == nb + 2404  # (int)2404.8
    sync = AudioSync(THRESHOLD)
    warm_up(sync, -0.0501, nb)
    assert sync.wanted_samples(nb, -0.0501, RATE) == nb - 2404  # (int)-2404.8, not -2405


def test_correction_uses_the_instantaneous_diff():
    sync = AudioSync(THRESHOLD)
    warm_up(sync, 0.2, 48000)
    # the average is still far above the threshold; the amount comes from this diff
    assert sync.wanted_samples(48000, 0.001, RATE) == 48000 + 48


def test_small_average_is_not_corrected():
    sync = AudioSync(THRESHOLD)
    warm_up(sync, 0.01)
    for _ in range(50):
        assert sync.wanted_samples(1024, 0.01, RATE) == 1024


@pytest.mark.parametrize("bad", [math.nan, 10.0, -10.0, 25.0])
def test_nan_or_large_diff_resets_the_filter(bad):
    sync = AudioSync(THRESHOLD)
    warm_up(sync, 0.05)
    assert sync.wanted_samples(1024, bad, RATE) == 1024
    assert (sync.avg_count, sync.cum) == (0, 0.0)
    warm_up(sync, 0.05)  # twenty more measurements before any correction again
    assert sync.wanted_samples(1024, 0.05, RATE) == 1126


def test_diff_just_below_ten_seconds_is_measured():
    sync = AudioSync(THRESHOLD)
    assert sync.wanted_samples(1024, 9.99, RATE) == 1024
    assert sync.avg_count == 1
    assert sync.cum == approx(9.99)


# --- external clock speed -------------------------------------------------------------


def test_external_clock_slows_down_when_a_queue_runs_low():
    assert external_clock_speed(1.0, 2, 50) == approx(0.999)
    assert external_clock_speed(1.0, 50, 0) == approx(0.999)
    assert external_clock_speed(1.0, 1, None) == approx(0.999)
    assert external_clock_speed(1.0, None, 2) == approx(0.999)
    assert external_clock_speed(0.9, 0, 0) == 0.9  # floor
    assert external_clock_speed(0.9005, 0, 0) == 0.9


def test_external_clock_speeds_up_when_queues_are_full():
    assert external_clock_speed(1.0, 11, 11) == approx(1.001)
    assert external_clock_speed(1.0, 11, None) == approx(1.001)
    assert external_clock_speed(1.0, None, 11) == approx(1.001)
    assert external_clock_speed(1.0, None, None) == approx(1.001)
    assert external_clock_speed(1.01, 100, 100) == 1.01  # ceiling
    assert external_clock_speed(1.0095, 100, 100) == 1.01


def test_external_clock_drifts_back_to_normal_speed():
    # between 3 and 10 packets: step toward 1.0
    assert external_clock_speed(0.95, 5, 5) == approx(0.951)
    assert external_clock_speed(1.005, 10, 3) == approx(1.004)
    assert external_clock_speed(1.0, 5, 5) == 1.0
    assert external_clock_speed(1.0, 10, None) == 1.0  # 10 is not > 10


def test_external_clock_speed_stays_within_bounds():
    speed = 1.0
    for _ in range(500):
        speed = external_clock_speed(speed, 0, 0)
    assert speed == approx(0.9)
    for _ in range(500):
        speed = external_clock_speed(speed, 50, 50)
    assert speed == approx(1.01)
    for _ in range(5):
        speed = external_clock_speed(speed, 5, 5)
    assert speed == approx(1.005)


# --- volume ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "volume, sdl",
    [(100, 128), (50, 64), (0, 0), (1, 1), (99, 126), (150, 128), (-5, 0)],
)
def test_startup_volume(volume, sdl):
    assert startup_volume(volume) == sdl


def test_update_volume_steps_are_three_quarters_of_a_db():
    assert update_volume(128, -1) == 117  # lrint(128 * 10^(-0.75/20)) = lrint(117.41)
    assert update_volume(64, 1) == 70  # lrint(69.77)
    assert update_volume(64, -1) == 59  # lrint(58.71)
    assert update_volume(117, 1) == 128


def test_update_volume_from_zero_up_gives_one():
    assert update_volume(0, 1) == 1
    assert update_volume(1, 1) == 2  # lrint(1.09) == 1 == current -> +1


def test_update_volume_is_clipped():
    assert update_volume(128, 1) == 128
    assert update_volume(127, 1) == 128
    assert update_volume(0, -1) == 0
    assert update_volume(1, -1) == 0


def test_repeated_volume_down_reaches_zero_and_up_reaches_max():
    volume, steps = 128, 0
    while volume:
        new = update_volume(volume, -1, SDL_VOLUME_STEP)
        assert new < volume
        volume, steps = new, steps + 1
        assert steps < 100
    assert update_volume(0, -1) == 0
    while volume < 128:
        new = update_volume(volume, 1)
        assert new > volume
        volume, steps = new, steps + 1
        assert steps < 200
    assert volume == 128

"""The test harness itself: services come up, media say what they are, parsers parse."""

import math
import subprocess

import av
import numpy as np

from tests import media as m
from tests.observe import list_windows, parse_status_lines


def test_xvfb_is_usable(x_display):
    r = subprocess.run(["xdotool", "getdisplaygeometry"], capture_output=True, text=True, timeout=5)
    assert r.returncode == 0, r.stderr
    w, h = map(int, r.stdout.split())
    assert w >= 1280 and h >= 720
    assert isinstance(list_windows(), list)


def test_pulseaudio_has_a_sink(pulse_server):
    r = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True, timeout=5)
    assert r.returncode == 0 and r.stdout.strip(), r.stderr


def test_clip_frames_carry_their_index(clip_720p):
    got = m.decode_indices(clip_720p)
    assert len(got) == 300
    assert [i for _, i in got] == list(range(300))
    assert all(abs(t * 30 - i) < 0.01 for t, i in got)


def test_ts_clip_and_audio(clip_short_ts, media):
    got = m.decode_indices(clip_short_ts)
    assert [i for _, i in got] == list(range(180))
    with av.open(str(clip_short_ts)) as c:
        assert c.format.name == "mpegts"
        assert len(c.streams.audio) == 1 and c.streams.audio[0].channels == 2
    m4a = media.audio_only("tone.m4a", 2.0)
    with av.open(str(m4a)) as c:
        samples = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    # the click at t=1 s is the loudest thing in the second half
    peak = np.argmax(np.abs(samples[30000:])) + 30000
    assert abs(peak - 48000) < 3000 + 1024  # AAC priming delay shifts it a little


def test_moov_position(media, tmp_path):
    end = m.make_clip(tmp_path / "end.mp4", duration=1.0, width=320, height=240)
    start = m.make_clip(tmp_path / "start.mp4", duration=1.0, width=320, height=240, moov_at_end=False)

    def atoms(p):
        data = p.read_bytes()
        out, pos = [], 0
        while pos < len(data):
            size = int.from_bytes(data[pos : pos + 4], "big")
            out.append(data[pos + 4 : pos + 8].decode())
            pos += size
        return out

    a, b = atoms(end), atoms(start)
    assert a.index("moov") > a.index("mdat")
    assert b.index("moov") < b.index("mdat")


def test_decode_index_scaled():
    img = m.frame_rgb(40961, 1280, 720)
    assert m.decode_frame_index(img) == 40961
    small = img[::2, ::2]
    assert m.decode_frame_index(small) == 40961


def test_status_line_parser():
    text = (
        "   2.47 A-V: -0.001 fd=   0 aq=   12KB vq=  140KB sq=    0B \r"
        "    nan M-V:    nan fd=   3 aq=    0KB vq=    1KB sq=    0B \r"
        "some message\n  10.01 M-A:  0.000 fd=   0 aq=    0KB vq=    0KB sq=    0B \n"
    )
    s = parse_status_lines(text)
    assert [x.label for x in s] == ["A-V", "M-V", "M-A"]
    assert s[0].clock == 2.47 and s[0].diff == -0.001 and s[0].vq == 140
    assert math.isnan(s[1].clock) and s[1].fd == 3

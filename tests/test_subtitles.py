"""Subtitles as outputs draw them: ASS text -> lines, wrapping, palette lookup, PGS decoded
through FFmpeg into bitmaps, the terminal's blend, external subtitle files."""

from __future__ import annotations

import math

import av
import numpy as np
import pytest

from pyffplay import libav
from pyffplay.external_subs import ExternalSubtitles
from pyffplay.packet_queue import PacketQueue
from pyffplay.subtitles import Bitmap, Subtitle, ass_to_lines, from_subtitle_set, palette_to_bgra, wrap
from pyffplay.video_output.terminal import blend_bitmaps
from tests.media_subs import write_srt
from tests.pgs import box, rle, write_sup


@pytest.mark.parametrize(
    "ass, lines, top",
    [
        ("0,0,Default,,0,0,0,,Hello world", ["Hello world"], False),
        (
            "0,0,Default,,0,0,0,,{\\i1}Hello{\\i0}, world\\Nsecond line",
            ["Hello, world", "second line"],
            False,
        ),
        ("3,0,Default,,0,0,0,,{\\pos(10,20)\\an8}At the top", ["At the top"], True),
        ("3,0,Default,,0,0,0,,one\\ntwo\\hthree", ["one", "two\u00a0three"], False),
        ("1,0,Default,,0,0,0,,{\\b1}Bold{\\b0} &amp; more", ["Bold & more"], False),
        ("1,0,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}Text", ["Text"], False),
        ("1,0,Default,,0,0,0,,\\N\\Nlast\\N", ["last"], False),
        ("plain text, no fields", ["plain text, no fields"], False),
    ],
)
def test_ass_event_lines_become_plain_lines(ass, lines, top):
    assert ass_to_lines(ass) == (lines, top)


def test_wrap_by_a_measure():
    def measure(text):
        return len(text)

    assert wrap(["the quick brown fox jumps"], 10, measure) == ["the quick", "brown fox", "jumps"]
    assert wrap(["short", "two lines"], 10, measure) == ["short", "two lines"]
    assert wrap(["abcdefghijklmnopqrstuvwxyz"], 10, measure) == ["abcdefghij", "klmnopqrst", "uvwxyz"]
    assert wrap(["a verylongwordhere b"], 6, measure) == ["a", "verylo", "ngword", "here b"]


def test_palette_lookup_gives_bgra():
    indices = np.array([[0, 1], [2, 1]], np.uint8)
    palette = np.array([0x00000000, 0xFF102030, 0x80FF0000], np.uint32)
    px = palette_to_bgra(indices, palette)
    assert px.shape == (2, 2, 4)
    assert px[0, 1].tolist() == [0x30, 0x20, 0x10, 0xFF]
    assert px[1, 0].tolist() == [0, 0, 0xFF, 0x80]
    assert px[0, 0].tolist() == [0, 0, 0, 0]


def test_rle_codes_runs_as_pgs_does():
    rows = np.array([[0] * 5 + [3] * 2 + [4] * 70])
    assert rle(rows) == bytes([0, 5, 3, 3, 0, 0xC0, 70, 4, 0, 0])


def _decoded(path):
    c = av.open(str(path))
    st = c.streams.subtitles[0]
    out = []
    for p in c.demux(st):
        if p.size:
            s = st.codec_context.decode2(p)
            if s is not None:
                out.append((s.pts / 1e6, from_subtitle_set(s, libav.stream_dimensions(c, st.index))))
    c.close()
    return out


def test_pgs_from_the_test_encoder_decodes_to_its_colours(tmp_path):
    green, blue = (0, 255, 0, 255), (0, 0, 255, 128)
    sup = write_sup(
        tmp_path / "a.sup", (320, 240), [(1.0, 2.0, 40, 50, box(30, 10, border=2), {1: green, 2: blue})]
    )
    subs = _decoded(sup)
    assert [t for t, _ in subs] == [1.0, 2.0]
    shown, cleared = subs[0][1], subs[1][1]
    assert cleared.bitmaps == [] and cleared.lines == []
    assert shown.canvas == (320, 240)
    (b,) = shown.bitmaps
    assert (b.x, b.y, b.pixels.shape) == (40, 50, (10, 30, 4))
    b_, g, r, a = b.pixels[5, 15].tolist()  # inside: green (YCbCr round trip: a few levels off)
    assert g > 240 and r < 15 and b_ < 15 and a == 255
    b_, g, r, a = b.pixels[0, 0].tolist()  # the border: half-transparent blue
    assert b_ > 240 and g < 15 and r < 15 and a == 128


def test_terminal_blend_scales_the_canvas():
    rgb = np.zeros((20, 40, 3), np.uint8)
    px = np.zeros((10, 20, 4), np.uint8)
    px[..., 1] = 255  # green (BGRA)
    px[..., 3] = 255
    sub = Subtitle(canvas=(80, 40), bitmaps=[Bitmap(40, 20, px)])
    out = blend_bitmaps(rgb, sub, (0, 0))
    green = out[..., 1] == 255
    ys, xs = np.nonzero(green)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10, 14, 20, 29)
    assert out[green][:, [0, 2]].max() == 0
    half = px.copy()
    half[..., 3] = 128
    sub = Subtitle(canvas=(80, 40), bitmaps=[Bitmap(0, 0, half)])
    out = blend_bitmaps(np.full((20, 40, 3), 100, np.uint8), sub, (0, 0))
    assert out[0, 0].tolist() == [50, 178, 50]


def test_external_file_queues_from_the_position(tmp_path):
    srt = write_srt(tmp_path / "a.srt", [(1.0, 2.0, "one"), (3.0, 4.0, "two"), (5.0, 6.0, "three")])
    ext = ExternalSubtitles(str(srt), 2, start_time=0.5)
    try:
        assert ext.index == 2 and ext.stream.type == "subtitle"
        q = PacketQueue()
        q.start()
        assert ext.queue_from(q, math.nan) == 3
        q.flush()
        assert ext.queue_from(q, 4.0) == 2  # "two" ends at 4.5 on the main clock
        assert ext.queue_from(q, 6.6) == 0
    finally:
        ext.close()


def test_dvb_from_the_test_encoder_decodes_to_its_colours():
    import fractions

    from tests.dvbsub import display_set

    cc = av.CodecContext.create("dvbsub", "r")
    palette = {1: (0, 255, 0, 255), 2: (0, 0, 255, 255)}
    data = display_set((320, 240), 1, 40, 50, box(30, 10, border=2), palette)
    packet = av.Packet(data)
    packet.pts, packet.time_base = 90000, fractions.Fraction(1, 90000)
    assert libav.codec_dimensions(cc) == (0, 0)
    subs = cc.decode2(packet)
    assert subs is not None and subs.end_display_time == 10000  # the page time-out
    assert libav.codec_dimensions(cc) == (320, 240)  # the display definition, as ffplay reads it
    sub = from_subtitle_set(subs, (0, 0))
    (b,) = sub.bitmaps
    assert (b.x, b.y, b.pixels.shape) == (40, 50, (10, 30, 4))
    assert b.pixels[5, 15].tolist() == [1, 255, 0, 255]  # green (BGRA), opaque
    assert b.pixels[0, 0].tolist() == [255, 0, 0, 255]  # the blue border
    cleared = cc.decode2(av.Packet(display_set((320, 240), 2)))
    assert cleared is not None and len(cleared) == 0

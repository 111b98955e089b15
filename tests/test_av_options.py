"""FFmpeg's options on the command line: which library knows a name, and which streams a
specifier names (FFmpeg itself is asked, through libav.py)."""

from types import SimpleNamespace

import pytest

from pyffplay import net_avio
from pyffplay.av_options import CODEC, FORMAT, SWR, SWS, codec_options, route, stream_matches
from pyffplay.errors import UsageError
from pyffplay.options import options_from_keywords, parse_args


@pytest.mark.parametrize(
    "name, where",
    [
        ("user_agent", (FORMAT,)),
        ("headers", (FORMAT,)),
        ("timeout", (FORMAT,)),
        ("reconnect", (FORMAT,)),
        ("rtsp_transport", (FORMAT,)),
        ("probesize", (FORMAT,)),
        ("analyzeduration", (FORMAT,)),
        ("fflags", (FORMAT,)),
        ("threads", (CODEC,)),
        ("threads:v", (CODEC,)),
        ("skip_frame:a:0", (CODEC,)),
        ("sws_flags", (SWS,)),
        ("resampler", (SWR,)),
        ("xyz", ()),
        ("no_such_option", ()),
    ],
)
def test_route_asks_ffmpeg(name, where):
    assert route(name) == where


def test_parse_args_keeps_ffmpeg_options_in_order():
    o = parse_args(
        [
            "-user_agent",
            "UA",
            "-threads:v",
            "2",
            "-probesize",
            "32",
            "-fflags",
            "nobuffer",
            "-sws_flags",
            "bicubic",
            "in.mp4",
        ]
    )
    assert o.format_opts == (("user_agent", "UA"), ("probesize", "32"), ("fflags", "nobuffer"))
    assert o.codec_opts == (("threads:v", "2"),)
    assert o.sws_opts == (("sws_flags", "bicubic"),)
    assert o.input == "in.mp4"


def test_unknown_and_valueless_options_are_errors():
    with pytest.raises(UsageError, match="Unrecognized option 'xyz'"):
        parse_args(["-xyz", "1", "in.mp4"])
    with pytest.raises(UsageError, match="Missing argument for option 'threads'"):
        parse_args(["in.mp4", "-threads"])
    with pytest.raises(UsageError, match="Unrecognized option 'bogus'"):
        options_from_keywords("in.mp4", {"bogus": 1})


def test_api_keywords_pass_through():
    o = options_from_keywords("u", {"user_agent": "x", "threads": 2, "threads:a": 1})
    assert o.format_opts == (("user_agent", "x"),)
    assert o.codec_opts == (("threads", "2"), ("threads:a", "1"))


def _streams():
    container = SimpleNamespace()
    streams = [
        SimpleNamespace(index=i, type=t, id=0x100 + i, container=container)
        for i, t in enumerate(["video", "audio", "audio", "subtitle"])
    ]
    container.streams = streams
    return streams


@pytest.mark.parametrize(
    "spec, matched",
    [
        ("", [0, 1, 2, 3]),
        ("v", [0]),
        ("a", [1, 2]),
        ("a:1", [2]),
        ("a:5", []),
        ("s", [3]),
        ("2", [2]),
        ("#0x101", [1]),
        ("i:0x103", [3]),
    ],
)
def test_stream_specifiers(spec, matched):
    assert [s.index for s in _streams() if stream_matches(spec, s)] == matched


def test_codec_options_per_stream():
    v, a1, a2, _ = _streams()
    opts = (("threads", "4"), ("threads:a", "1"), ("skip_frame:a:1", "nokey"))
    assert codec_options(opts, v) == {"threads": "4"}
    assert codec_options(opts, a1) == {"threads": "1"}
    assert codec_options(opts, a2) == {"threads": "1", "skip_frame": "nokey"}


@pytest.mark.parametrize(
    "name, network, itself",
    [
        ("http://127.0.0.1/a.mp4", True, False),
        ("udp://127.0.0.1:1234", True, False),
        ("tcp://127.0.0.1:9", True, False),
        ("data:,abc", True, False),
        ("rtsp://127.0.0.1/live", False, True),
        ("rtp://127.0.0.1:5004", True, True),
        ("file:movie.mp4", False, False),
        ("pipe:0", False, False),
        ("fd:3", False, False),
        ("movie.mp4", False, False),
        ("my:file.mp4", False, False),
        ("-", False, False),
    ],
)
def test_url_kinds(name, network, itself):
    assert net_avio.is_network_url(name) is network
    assert net_avio.opens_itself(name, None) is itself


@pytest.mark.parametrize(
    "fmt, name, live",
    [
        ("rtsp", "rtsp://h/x", True),
        ("rtp", "rtp://h:5004", True),
        ("sdp", "x.sdp", True),
        ("mpegts", "udp://127.0.0.1:1234", True),
        ("mpegts", "rtp:127.0.0.1:5004", True),
        ("mpegts", "http://h/x.ts", False),
        ("mov,mp4,m4a,3gp,3g2,mj2", "x.mp4", False),
        ("mpegts", "-", False),
    ],
)
def test_is_realtime_as_ffplay(fmt, name, live):
    from pyffplay.demux import _is_realtime

    ic = SimpleNamespace(format=SimpleNamespace(name=fmt))
    assert _is_realtime(ic, name) is live

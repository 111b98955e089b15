"""The pure parts of FFmpeg's log options and of ffplay's info options."""

import pytest

from pyffplay import ffinfo
from pyffplay.errors import UsageError
from pyffplay.fflog import AV_LOG_PRINT_LEVEL, AV_LOG_SKIP_REPEATED, parse_loglevel
from pyffplay.options import INFO_OPTIONS, help_text, parse_args

SKIP, LEVEL = AV_LOG_SKIP_REPEATED, AV_LOG_PRINT_LEVEL


@pytest.mark.parametrize(
    "arg, expect",
    [
        ("info", (32, SKIP)),  # a level alone keeps ffplay's default flags
        ("quiet", (-8, SKIP)),
        ("trace", (56, SKIP)),
        ("40", (40, SKIP)),
        ("-8", (-8, SKIP)),
        ("repeat+info", (32, 0)),  # absolute: repeats shown
        ("level+info", (32, LEVEL)),  # absolute: only the level prefix (repeats shown too)
        ("+level+info", (32, SKIP | LEVEL)),  # relative: keeps skipping repeats
        ("+repeat+debug", (48, 0)),
        ("-repeat+level+verbose", (40, SKIP | LEVEL)),
        ("+level", (32, SKIP | LEVEL)),  # flags alone keep the level
        ("level+repeat+warning", (24, LEVEL)),
    ],
)
def test_parse_loglevel_as_cmdutils(arg, expect):
    assert parse_loglevel(arg) == expect


@pytest.mark.parametrize("arg", ["bogus", "level+loud", "", "info2"])
def test_parse_loglevel_rejects(arg):
    if arg == "":
        assert parse_loglevel(arg) == (32, SKIP)  # nothing given: nothing changes
        return
    with pytest.raises(ValueError):
        parse_loglevel(arg)


def test_options_split_loglevel_and_flags():
    o = parse_args(["-loglevel", "repeat+level+debug", "x.mp4"])
    assert (o.loglevel, o.log_flags) == (48, LEVEL)
    o = parse_args(["-v", "error", "x.mp4"])
    assert (o.loglevel, o.log_flags) == (16, SKIP)
    assert not o.status_enabled
    with pytest.raises(UsageError, match="Invalid value 'nope' for option 'loglevel'"):
        parse_args(["-loglevel", "nope", "x.mp4"])


def test_info_options_need_no_input_and_stop_parsing():
    o = parse_args(["-formats"])
    assert o.show_info == "formats" and o.input is None
    # as ffplay: what follows is not parsed, but -hide_banner / -loglevel are found anywhere
    o = parse_args(["-L", "-bogus", "-hide_banner", "-loglevel", "level+error"])
    assert o.show_info == "L" and o.hide_banner and (o.loglevel, o.log_flags) == (16, LEVEL)
    assert parse_args(["-license"]).show_info == "L"
    with pytest.raises(UsageError):
        parse_args(["-bogus", "-formats"])
    assert set(INFO_OPTIONS) == set(ffinfo.SHOW)


def test_hide_banner_is_a_flag_and_help_lists_the_info_options():
    assert parse_args(["-hide_banner", "x"]).hide_banner
    assert not parse_args(["x"]).hide_banner
    text = help_text()
    for name in ("-hide_banner", "-version", "-formats", "-protocols", "-pix_fmts", "-L"):
        assert f"  {name} " in text, name
    assert "repeat+" in text


def test_lib_version_lines_as_ffmpeg():
    libs = [
        ffinfo.LibVersion("avutil", (60, 26, 102), (60, 26, 102)),
        ffinfo.LibVersion("swscale", (9, 5, 102), (9, 5, 102)),
    ]
    assert ffinfo.lib_version_lines(libs, "  ") == [
        "  libavutil      60. 26.102 / 60. 26.102",
        "  libswscale      9.  5.102 /  9.  5.102",
    ]


def test_program_info_says_pyffplay_ffmpeg_and_pyav():
    lines = ffinfo.program_info("0.2.0", "8.1.2", "18.1.0", "3.11.7", "--enable-shared", "  ")
    assert lines[0].startswith("pyffplay version 0.2.0 ") and "FFmpeg 8.1.2" in lines[0]
    assert lines[1] == "  built with Python 3.11.7, PyAV 18.1.0"
    assert lines[2] == "  configuration: --enable-shared"


def test_buildconf_one_option_a_line():
    assert ffinfo.buildconf_lines("--a --b=x y --pkg-config --static") == [
        "",
        "  configuration:",
        "    --a",
        "    --b=x y",
        "    --pkg-config --static",
    ]


def test_formats_merged_and_sorted_muxer_description_wins():
    rows = ffinfo.merge_formats(
        [("mov,mp4,m4a,3gp,3g2,mj2", "QuickTime / MOV"), ("ac3", "raw AC-3 in")],
        [("mp4", "MP4 (MPEG-4 Part 14)"), ("ac3", "raw AC-3"), ("Z", "upper")],
    )
    assert [r.name for r in rows] == ["Z", "ac3", "mov,mp4,m4a,3gp,3g2,mj2", "mp4"]  # strcmp order
    text = ffinfo.format_formats(rows).splitlines()
    assert text[:4] == ["File formats:", " D. = Demuxing supported", " .E = Muxing supported", " --"]
    assert " DE ac3             raw AC-3" in text
    assert " D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV" in text
    assert "  E mp4             MP4 (MPEG-4 Part 14)" in text


def test_protocols_layout():
    assert ffinfo.format_protocols(["file", "http"], ["file"]).splitlines() == [
        "Supported file protocols:",
        "Input:",
        "  file",
        "  http",
        "Output:",
        "  file",
    ]


def test_codecs_layout_lists_other_implementations():
    lossy_lossless = ffinfo.AV_CODEC_PROP_LOSSY | ffinfo.AV_CODEC_PROP_LOSSLESS
    descs = [
        ffinfo.CodecDesc(27, 0, "h264", "H.264", lossy_lossless),
        ffinfo.CodecDesc(86018, 1, "aac", "AAC", ffinfo.AV_CODEC_PROP_LOSSY),
        ffinfo.CodecDesc(5, 0, "old_deprecated", "gone", 0),
    ]
    caps = ffinfo.AV_CODEC_CAP_FRAME_THREADS | ffinfo.AV_CODEC_CAP_DR1
    impls = [
        ffinfo.CodecImpl(27, "h264", "H.264", True, caps),
        ffinfo.CodecImpl(27, "libx264", "x264", False, 0),
        ffinfo.CodecImpl(86018, "aac", "AAC", True, ffinfo.AV_CODEC_CAP_DR1),
    ]
    lines = ffinfo.format_codecs(descs, impls).splitlines()
    assert lines[0] == "Codecs:" and lines[11] == " -------"
    # sorted by media type then name: video first
    assert lines[12] == " DEV.LS h264                 H.264 (encoders: libx264 )"
    assert lines[13] == " D.A.L. aac                  AAC"
    assert len(lines) == 14
    dec = ffinfo.format_codec_impls(descs, impls, decoders=True).splitlines()
    assert dec[0] == "Decoders:" and dec[-2:] == [
        " VF...D h264                 H.264",
        " A....D aac                  AAC",
    ]
    enc = ffinfo.format_codec_impls(descs, impls, decoders=False).splitlines()
    assert enc[-1] == " V..... libx264              x264 (codec h264)"


def test_filters_layout():
    f = [
        ffinfo.FilterInfo(
            "overlay",
            "Overlay.",
            ffinfo.AVFILTER_FLAG_SUPPORT_TIMELINE | ffinfo.AVFILTER_FLAG_SLICE_THREADS,
            "VV",
            "V",
            True,
        ),
        ffinfo.FilterInfo("amix", "Mix.", ffinfo.AVFILTER_FLAG_DYNAMIC_INPUTS, "", "A", False),
        ffinfo.FilterInfo("nullsink", "Sink.", 0, "V", "", False),
    ]
    lines = ffinfo.format_filters(f).splitlines()
    assert lines[0] == "Filters:"
    assert lines[-3:] == [
        " TSC overlay           VV->V      Overlay.",
        " ... amix              N->A       Mix.",
        " ... nullsink          V->|       Sink.",
    ]


def test_pix_fmts_layout():
    f = [
        ffinfo.PixFmt("yuv420p", True, True, 0, 3, 12, (8, 8, 8)),
        ffinfo.PixFmt("pal8", True, False, ffinfo.AV_PIX_FMT_FLAG_PAL, 1, 8, (8,)),
        ffinfo.PixFmt("vaapi", False, False, ffinfo.AV_PIX_FMT_FLAG_HWACCEL, 0, 0, ()),
    ]
    lines = ffinfo.format_pix_fmts(f).splitlines()
    assert lines[-3:] == [
        "IO... yuv420p                3             12      8-8-8",
        "I..P. pal8                   1              8      8",
        "..H.. vaapi                  0              0      0",
    ]


def test_layouts_layout():
    text = ffinfo.format_layouts([("FL", "front left")], [("stereo", ["FL", "FR"])]).splitlines()
    assert text == [
        "Individual channels:",
        "NAME           DESCRIPTION",
        "FL             front left",
        "",
        "Standard channel layouts:",
        "NAME           DECOMPOSITION",
        "stereo         FL+FR",
    ]


DUMP_SCRIPT = """
import sys, av
from pyffplay import fflog
ic = av.open(sys.argv[1])
print(fflog.dump_format(ic, "before-enable"))  # the log is off: nothing, False
fflog.enable_stderr_log(*fflog.parse_loglevel("info"))
print(hex(fflog.format_context_pointer(ic) or 0))
print(fflog.dump_format(ic, "name.mkv"))
fflog.log(24, "a warning\\n")
fflog.enable_stderr_log(*fflog.parse_loglevel("warning"))
print(fflog.dump_format(ic, "below-info"))  # below info: not asked for
"""


def test_dump_format_through_ctypes_on_pyav_container(tmp_path):
    """The AVFormatContext* is found in PyAV's object and av_dump_format prints through
    FFmpeg's own callback on fd 2 (a subprocess: FFmpeg's log is process-wide)."""
    import subprocess
    import sys

    from tests.media import make_clip

    clip = make_clip(tmp_path / "d.mkv", duration=0.5, width=64, height=48, audio=True)
    r = subprocess.run(
        [sys.executable, "-c", DUMP_SCRIPT, str(clip)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] == "False" and out[1].startswith("0x") and out[1] != "0x0" and out[2:] == ["True", "False"]
    err = r.stderr.splitlines()
    assert err[0] == "Input #0, matroska,webm, from 'name.mkv':", err
    assert any(ln.startswith("  Duration: 00:00:00.5") for ln in err), err
    assert any(ln.startswith("  Stream #0:0: Video: h264") and "64x48" in ln for ln in err), err
    assert any(ln.startswith("  Stream #0:1: Audio: aac") for ln in err), err
    assert err[-1] == "a warning"
    assert "before-enable" not in r.stderr and "below-info" not in r.stderr

"""Command-line options (ffplay-internals.md section 8)."""

from __future__ import annotations

import re

import pytest

from pyffplay.errors import UsageError
from pyffplay.options import (
    AV_LOG_INFO,
    DEFAULT_AVIO_DISK,
    DEFAULT_AVIO_MEM,
    FLAG_OPTIONS,
    LOG_LEVELS,
    VALUE_OPTIONS,
    help_text,
    parse_args,
    parse_size,
    parse_time,
)


def parse(*args: str):
    return parse_args([*args, "in.mp4"])


# --- defaults ---------------------------------------------------------------------------


def test_defaults_are_ffplays():
    o = parse_args(["in.mp4"])
    assert o.input == "in.mp4"
    assert o.volume == 100
    assert o.seek_interval == 10.0
    assert o.sync == "audio"
    assert o.framedrop == -1
    assert o.infinite_buffer == -1
    assert o.loop == 1
    assert o.show_status == -1
    assert o.autorotate is True
    assert o.seek_by_bytes == -1
    assert o.start_time is None and o.duration is None
    assert (o.screen_width, o.screen_height) == (0, 0)
    assert o.left is None and o.top is None
    assert o.loglevel == AV_LOG_INFO == 32
    assert o.avio_mem == DEFAULT_AVIO_MEM == 256 * 1024 * 1024
    assert o.avio_disk == DEFAULT_AVIO_DISK == 1024 * 1024 * 1024
    assert o.avio_spill is True
    for flag in (
        "audio_disable",
        "video_disable",
        "subtitle_disable",
        "display_disable",
        "fullscreen",
        "borderless",
        "alwaysontop",
        "autoexit",
        "exit_on_keydown",
        "exit_on_mousedown",
        "show_help",
    ):
        assert getattr(o, flag) is False, flag
    assert o.format is None and o.window_title is None and o.trace_file is None
    assert o.warnings == ()
    assert o.status_enabled


# --- every option parses ------------------------------------------------------------------

# name -> (argument, expected attribute value)
VALUE_SAMPLES = {
    "ao": ("null", "null"),
    "renderer": ("software", "software"),
    "acodec": ("aac", "aac"),
    "vcodec": ("h264", "h264"),
    "scodec": ("srt", "srt"),
    "sub": ("film.fr.srt", "film.fr.srt"),
    "codec:a": ("aac", "aac"),
    "codec:v": ("h264", "h264"),
    "codec:s": ("srt", "srt"),
    "c:a": ("aac", "aac"),
    "c:v": ("h264", "h264"),
    "c:s": ("srt", "srt"),
    "drp": ("0", 0),
    "hwaccel": ("auto", "auto"),
    "lowres": ("1", 1),
    "showmode": ("2", "rdft"),
    "rdftspeed": ("40", 0.04),
    "vf": ("hflip", ("hflip",)),
    "af": ("volume=0.5", "volume=0.5"),
    "filter_threads": ("2", 2),
    "ast": ("a:1", "a:1"),
    "vst": ("2", "2"),
    "sst": ("m:language:eng", "m:language:eng"),
    "x": ("640", 640),
    "y": ("360", 360),
    "ss": ("1:30", 90.0),
    "t": ("2.5", 2.5),
    "bytes": ("1", 1),
    "seek_interval": ("5.5", 5.5),
    "volume": ("30", 30),
    "f": ("mpegts", "mpegts"),
    "window_title": ("My title", "My title"),
    "left": ("12", 12),
    "top": ("-3", -3),
    "sync": ("video", "video"),
    "loop": ("0", 0),
    "loglevel": ("error", LOG_LEVELS["error"]),
    "v": ("debug", LOG_LEVELS["debug"]),
    "trace_file": ("/tmp/t.jsonl", "/tmp/t.jsonl"),
    "avio_mem": ("64M", 64 * 1024 * 1024),
    "avio_disk": ("32M", 32 * 1024 * 1024),
    "avio_spill": ("0", False),
    "vo": ("terminal", "terminal"),
    "term_colors": ("256", "256"),
}


@pytest.mark.parametrize("name", sorted(VALUE_OPTIONS))
def test_every_value_option_parses(name):
    assert name in VALUE_SAMPLES, f"add a sample value for -{name} to VALUE_SAMPLES"
    arg, expected = VALUE_SAMPLES[name]
    attr = VALUE_OPTIONS[name][0]
    o = parse(f"-{name}", arg)
    assert getattr(o, attr) == expected
    assert o.input == "in.mp4"


@pytest.mark.parametrize("name", sorted(FLAG_OPTIONS))
def test_every_flag_option_parses(name):
    attr, value, _ = FLAG_OPTIONS[name]
    o = parse(f"-{name}")
    assert getattr(o, attr) == value
    assert o.input == "in.mp4"


@pytest.mark.parametrize(
    "arg, attr, value",
    [
        ("-fs", "fullscreen", True),
        ("-an", "audio_disable", True),
        ("-vn", "video_disable", True),
        ("-sn", "subtitle_disable", True),
        ("-nodisp", "display_disable", True),
        ("-noborder", "borderless", True),
        ("-alwaysontop", "alwaysontop", True),
        ("-stats", "show_status", 1),
        ("-autoexit", "autoexit", True),
        ("-exitonkeydown", "exit_on_keydown", True),
        ("-exitonmousedown", "exit_on_mousedown", True),
        ("-framedrop", "framedrop", 1),
        ("-infbuf", "infinite_buffer", 1),
        ("-autorotate", "autorotate", True),
    ],
)
def test_flags_set_ffplays_values(arg, attr, value):
    assert getattr(parse(arg), attr) == value


@pytest.mark.parametrize(
    "arg, attr, value",
    [
        ("-nostats", "show_status", 0),
        ("-noframedrop", "framedrop", 0),
        ("-noinfbuf", "infinite_buffer", 0),
        ("-noautorotate", "autorotate", False),
        ("-noautoexit", "autoexit", False),
        ("-nofs", "fullscreen", False),
        ("-noan", "audio_disable", False),
    ],
)
def test_no_prefix_negates_a_flag(arg, attr, value):
    assert getattr(parse(arg), attr) == value


def test_later_flag_wins():
    assert parse("-stats", "-nostats").show_status == 0
    assert parse("-nostats", "-stats").show_status == 1
    assert parse("-fs", "-nofs").fullscreen is False
    assert parse("-noautorotate", "-autorotate").autorotate is True


def test_double_dash_spelling_is_accepted():
    o = parse_args(["--ss", "3", "--an", "in.mp4"])
    assert o.start_time == 3.0 and o.audio_disable


# --- time values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("90", 90.0),
        ("1:30", 90.0),
        ("01:02:03.5", 3723.5),
        ("500ms", 0.5),
        ("-2", -2.0),
        ("2.25", 2.25),
        ("3s", 3.0),
        ("250000us", 0.25),
        ("00:00:01.500", 1.5),
        ("-1:30", -90.0),
        ("0", 0.0),
    ],
)
def test_parse_time(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "5m", "1,5", "--2", "1:"])
def test_parse_time_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize(
    "args, start, duration",
    [
        (["-ss", "90"], 90.0, None),
        (["-ss", "1:30"], 90.0, None),
        (["-ss", "01:02:03.5"], 3723.5, None),
        (["-t", "500ms"], None, 0.5),
        (["-ss", "-2"], -2.0, None),  # a value that looks like an option is still a value
        (["-ss", "10", "-t", "1:00"], 10.0, 60.0),
    ],
)
def test_ss_and_t(args, start, duration):
    o = parse(*args)
    assert o.start_time == (pytest.approx(start) if start is not None else None)
    assert o.duration == (pytest.approx(duration) if duration is not None else None)


def test_bad_time_is_a_usage_error_naming_the_option():
    with pytest.raises(UsageError, match="ss"):
        parse("-ss", "soon")
    with pytest.raises(UsageError, match="'t'"):
        parse("-t", "1:2:3:4")


# --- sizes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, size",
    [
        ("256M", 256 << 20),
        ("1k", 1024),
        ("100", 100),
        ("1.5G", 3 << 29),
        ("64MiB", 64 << 20),
        ("2MB", 2 << 20),
        ("0", 0),
    ],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "abc", "-1M", "12X"])
def test_parse_size_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_size(text)


# --- value fix-ups ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, clipped, warning",
    [
        ("150", 100, "-volume=150 > 100, setting to 100"),
        ("-5", 0, "-volume=-5 < 0, setting to 0"),
    ],
)
def test_volume_is_clipped_with_a_warning(value, clipped, warning):
    o = parse("-volume", value)
    assert o.volume == clipped
    assert o.warnings == (warning,)


@pytest.mark.parametrize("value", ["0", "100", "50"])
def test_volume_in_range_is_kept_silently(value):
    o = parse("-volume", value)
    assert o.volume == int(value)
    assert o.warnings == ()


def test_seek_interval_zero_means_ten():
    assert parse("-seek_interval", "0").seek_interval == 10.0
    assert parse("-seek_interval", "2.5").seek_interval == 2.5


def test_nodisp_implies_video_disable():
    o = parse("-nodisp")
    assert o.display_disable and o.video_disable
    assert not o.audio_disable


def test_loglevel_forms():
    assert parse("-loglevel", "warning").loglevel == 24
    assert parse("-loglevel", "repeat+error").loglevel == 16
    assert parse("-v", "quiet").loglevel == -8
    assert parse("-loglevel", "40").loglevel == 40


# --- input ----------------------------------------------------------------------------------


def test_dash_is_stdin_input():
    assert parse_args(["-"]).input == "-"
    assert parse_args(["-an", "-"]).input == "-"


def test_dash_i_gives_the_input():
    o = parse_args(["-i", "movie.mkv", "-an"])
    assert o.input == "movie.mkv" and o.audio_disable
    assert parse_args(["-i", "-"]).input == "-"


def test_options_after_the_input_are_parsed():
    o = parse_args(["in.mp4", "-ss", "5", "-fs"])
    assert (o.input, o.start_time, o.fullscreen) == ("in.mp4", 5.0, True)


@pytest.mark.parametrize(
    "argv",
    [["a.mp4", "b.mp4"], ["-i", "a.mp4", "b.mp4"], ["a.mp4", "-i", "b.mp4"], ["-", "b.mp4"]],
)
def test_two_inputs_are_an_error(argv):
    with pytest.raises(UsageError):
        parse_args(argv)


def test_no_input_is_an_error():
    with pytest.raises(UsageError):
        parse_args([])
    with pytest.raises(UsageError):
        parse_args(["-an", "-ss", "3"])


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bogus", "pix_fmt", "nobogus"])
def test_unknown_option_is_a_usage_error_naming_it(name):
    with pytest.raises(UsageError) as info:
        parse(f"-{name}")
    assert name in str(info.value)


@pytest.mark.parametrize("name", ["ss", "t", "volume", "sync", "x", "f", "i", "loglevel"])
def test_missing_value_is_a_usage_error(name):
    with pytest.raises(UsageError) as info:
        parse_args(["in.mp4", f"-{name}"])
    assert name in str(info.value)


@pytest.mark.parametrize("value", ["bogus", "Audio", "external", ""])
def test_bad_sync_is_a_usage_error(value):
    with pytest.raises(UsageError) as info:
        parse("-sync", value)
    assert "sync" in str(info.value)


@pytest.mark.parametrize("value", ["audio", "video", "ext"])
def test_good_sync_values(value):
    assert parse("-sync", value).sync == value


@pytest.mark.parametrize(
    "args",
    [
        ["-x", "0"],
        ["-y", "-1"],
        ["-x", "wide"],
        ["-volume", "loud"],
        ["-loop", "1.5"],
        ["-bytes", "x"],
        ["-seek_interval", "soon"],
        ["-loglevel", "chatty"],
        ["-avio_spill", "yes"],
        ["-avio_mem", "lots"],
        ["-avio_mem", "0"],
        ["-avio_disk", "-1"],
        ["-avio_disk", "big"],
    ],
)
def test_bad_values_are_usage_errors(args):
    with pytest.raises(UsageError):
        parse(*args)


@pytest.mark.parametrize(
    "args, disk",
    [
        ([], 1 << 30),
        (["-avio_disk", "0"], 0),
        (["-avio_disk", "32M"], 32 << 20),
        (["-avio_spill", "0"], 0),
        (["-avio_spill", "0", "-avio_disk", "32M"], 0),
        (["-avio_disk", "32M", "-avio_spill", "1"], 32 << 20),
    ],
)
def test_avio_spill_0_is_avio_disk_0(args, disk):
    assert parse(*args).avio_disk == disk


def test_help_text_explains_the_pipe_bound():
    text = help_text()
    assert re.search(r"^\s*-avio_disk <value>.*default 1G; 0 = never spill", text, re.M)
    assert re.search(r"^\s*-avio_spill <value>.*-avio_disk 0", text, re.M)


# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-h", "-help", "--help", "-?"])
def test_help_flag_sets_show_help_without_an_input(flag):
    o = parse_args([flag])
    assert o.show_help
    assert o.input is None


def test_help_text_lists_every_option():
    text = help_text()
    for name in list(VALUE_OPTIONS) + list(FLAG_OPTIONS) + ["noframedrop", "nostats", "i"]:
        assert re.search(rf"^\s*-{re.escape(name)}(\s|$)", text, re.M), f"-{name} missing from help"


def test_help_text_lists_the_keys():
    text = help_text()
    for line in (
        "q, ESC              quit",
        "f                   toggle full screen",
        "p, SPC              pause",
        "m                   toggle mute",
        "9, 0                decrease and increase volume respectively",
        "/, *                decrease and increase volume respectively",
        "s                   activate frame-step mode",
        "left/right          seek backward/forward 10 seconds or to custom interval if -seek_interval is set",
        "down/up             seek backward/forward 1 minute",
        "page down/page up   seek backward/forward 10 minutes",
        "right mouse click   seek to percentage in file corresponding to fraction of width",
        "left double-click   toggle full screen",
    ):
        assert line in text.splitlines(), line


# --- status_enabled -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, enabled",
    [
        ([], True),  # auto, loglevel info
        (["-loglevel", "error"], False),  # auto follows the loglevel
        (["-loglevel", "error", "-stats"], True),  # -stats forces it
        (["-loglevel", "quiet", "-stats"], True),
        (["-loglevel", "verbose"], True),
        (["-loglevel", "info"], True),
        (["-loglevel", "warning"], False),
        (["-nostats"], False),
        (["-nostats", "-loglevel", "debug"], False),
        (["-stats"], True),
    ],
)
def test_status_enabled(args, enabled):
    assert parse(*args).status_enabled is enabled


@pytest.mark.parametrize("args", [("-vo", "x11"), ("-term_colors", "16")])
def test_bad_choice_values_are_usage_errors(args):
    with pytest.raises(UsageError, match=args[0].lstrip("-")):
        parse(*args)


def test_accurate_seek_and_stream_specifiers():
    assert parse_args(["-accurate_seek", "x"]).accurate_seek is True
    assert parse_args(["x"]).accurate_seek is False
    o = parse_args(["-ast", "a:1", "-vst", "0", "-sst", "m:language:fra", "x"])
    assert (o.wanted_audio, o.wanted_video, o.wanted_subtitle) == ("a:1", "0", "m:language:fra")


def test_vf_repeats_and_keeps_the_order():
    assert parse_args(["-vf", "hflip", "-vf", "scale=320:-2", "x"]).vfilters == ("hflip", "scale=320:-2")

"""ffplay-style command-line options -> an Options object (pure, no I/O)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyffplay.errors import UsageError
from pyffplay.fflog import DEFAULT_LOG_FLAGS, LOG_LEVELS, parse_loglevel
from pyffplay.memory_avio import DEFAULT_MAX_DISK, DEFAULT_MAX_MEMORY, parse_size

AV_LOG_INFO = LOG_LEVELS["info"]
AV_LOG_WARNING = LOG_LEVELS["warning"]
DEFAULT_AVIO_MEM = DEFAULT_MAX_MEMORY
DEFAULT_AVIO_DISK = DEFAULT_MAX_DISK


@dataclass(frozen=True)
class Options:
    """The command line, parsed. Frozen: what changes while playing lives in the player."""

    input: str | None = None
    audio_disable: bool = False
    video_disable: bool = False
    subtitle_disable: bool = False
    display_disable: bool = False
    start_time: float | None = None  # seconds (-ss)
    duration: float | None = None  # seconds (-t)
    loop: int = 1
    autoexit: bool = False
    volume: int = 100
    seek_interval: float = 10.0
    sync: str = "audio"
    framedrop: int = -1  # -1 auto (drop when video is not master), 1 always, 0 never
    infinite_buffer: int = -1
    exit_on_keydown: bool = False
    exit_on_mousedown: bool = False
    show_status: int = -1  # -1 auto (follows -loglevel), 1 forced, 0 off
    loglevel: int = AV_LOG_INFO
    log_flags: int = DEFAULT_LOG_FLAGS  # AV_LOG_SKIP_REPEATED | AV_LOG_PRINT_LEVEL (-loglevel flags)
    hide_banner: bool = False
    show_info: str | None = None  # -version, -formats, ...: print that and exit (ffinfo.SHOW)
    format: str | None = None
    screen_width: int = 0
    screen_height: int = 0
    fullscreen: bool = False
    window_title: str | None = None
    left: int | None = None
    top: int | None = None
    borderless: bool = False
    alwaysontop: bool = False
    autorotate: bool = True
    seek_by_bytes: int = -1
    trace_file: str | None = None
    avio_mem: int = DEFAULT_AVIO_MEM
    avio_disk: int = DEFAULT_AVIO_DISK  # temporary disk for a pipe past avio_mem; 0 = none
    avio_spill: bool = True  # the older switch: False means avio_disk 0
    warnings: tuple[str, ...] = ()
    show_help: bool = False
    untimed: bool = False
    accurate_seek: bool = False
    video_codec: str | None = None  # -vcodec / -codec:v: force a decoder
    audio_codec: str | None = None
    subtitle_codec: str | None = None
    lowres: int = 0
    fast: bool = False
    genpts: bool = False
    decoder_reorder_pts: int = -1  # -drp: -1 best effort, 0 dts, 1 pts
    find_stream_info: bool = True
    hwaccel: str | None = None
    show_mode: str | None = None  # -showmode: video, waves, rdft; None: video, else rdft
    rdftspeed: float = 0.02  # seconds between two audio pictures (-rdftspeed in ms)
    vfilters: tuple[str, ...] = ()  # -vf, repeatable: w cycles through them
    afilters: str | None = None
    filter_threads: int = 0
    # -vst / -ast / -sst: FFmpeg stream specifiers of the wanted streams
    wanted_video: str | None = None
    wanted_audio: str | None = None
    wanted_subtitle: str | None = None
    subtitle_file: str | None = None  # -sub: an external subtitle file (mpv's --sub-file)
    renderer: str = "auto"  # SDL: auto, gpu, software
    vo: str | None = None  # None: chosen from the environment
    ao: str | None = None  # None: sounddevice, else null when no device opens
    term_colors: str = "auto"
    # FFmpeg's own options (AVOptions) given on the command line, in order: (name, value).
    format_opts: tuple[tuple[str, str], ...] = ()  # to the input's open (demuxer, protocol)
    codec_opts: tuple[tuple[str, str], ...] = ()  # to each decoder ("threads:v" keeps its specifier)
    sws_opts: tuple[tuple[str, str], ...] = ()
    swr_opts: tuple[tuple[str, str], ...] = ()

    @property
    def status_enabled(self) -> bool:
        if self.show_status == 0:
            return False
        return self.show_status == 1 or self.loglevel >= AV_LOG_INFO


_TIME_HMS = re.compile(r"^(-)?(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")
_TIME_SEC = re.compile(r"^(-)?(\d+(?:\.\d*)?|\.\d+)(s|ms|us)?$")


def parse_time(text: str) -> float:
    """FFmpeg time duration: ``[-][HH:]MM:SS[.m]`` or ``[-]S[.m][s|ms|us]`` -> seconds."""
    text = text.strip()
    m = _TIME_HMS.match(text)
    if m:
        sign, hh, mm, ss = m.groups()
        value = int(hh or 0) * 3600 + int(mm) * 60 + float(ss)
        return -value if sign else value
    m = _TIME_SEC.match(text)
    if m:
        sign, num, unit = m.groups()
        value = float(num) * {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6}[unit]
        return -value if sign else value
    raise ValueError(text)


def _int(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    def conv(text: str) -> int:
        value = int(text)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(text)
        return value

    return conv


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _sync(text: str) -> str:
    if text not in ("audio", "video", "ext"):
        raise ValueError(text)
    return text


def _choice(*allowed: str) -> Callable[[str], str]:
    def conv(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    return conv


def _loglevel(text: str) -> tuple[int, int]:
    return parse_loglevel(text)  # (level, flags): split into loglevel and log_flags by _finish


def _show_mode(text: str) -> str:
    modes = ("video", "waves", "rdft")
    if text in modes:
        return text
    if text in ("0", "1", "2"):
        return modes[int(text)]
    raise ValueError(text)


def _positive_size(text: str) -> int:
    value = parse_size(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _bool01(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(text)
    return text == "1"


# name -> (attribute, converter, help). Options that take a value.
VALUE_OPTIONS: dict[str, tuple[str, Callable[[str], object], str]] = {
    "x": ("screen_width", _int(1), "force displayed width"),
    "y": ("screen_height", _int(1), "force displayed height"),
    "ss": ("start_time", parse_time, "seek to a given position in seconds"),
    "t": ("duration", parse_time, 'play  "duration" seconds of audio/video'),
    "bytes": ("seek_by_bytes", _int(-1, 1), "seek by bytes 0=off 1=on -1=auto"),
    "ast": ("wanted_audio", str, "select desired audio stream (an FFmpeg stream specifier)"),
    "vst": ("wanted_video", str, "select desired video stream (an FFmpeg stream specifier)"),
    "sst": ("wanted_subtitle", str, "select desired subtitle stream (an FFmpeg stream specifier)"),
    "sub": ("subtitle_file", str, "add a subtitle file (SRT, ASS, WebVTT, PGS .sup, ...), shown by default"),
    "codec:v": ("video_codec", str, "force video decoder"),
    "codec:a": ("audio_codec", str, "force audio decoder"),
    "codec:s": ("subtitle_codec", str, "force subtitle decoder"),
    "c:v": ("video_codec", str, "force video decoder"),
    "c:a": ("audio_codec", str, "force audio decoder"),
    "c:s": ("subtitle_codec", str, "force subtitle decoder"),
    "vcodec": ("video_codec", str, "force video decoder"),
    "acodec": ("audio_codec", str, "force audio decoder"),
    "scodec": ("subtitle_codec", str, "force subtitle decoder"),
    "lowres": ("lowres", _int(0, 8), "decode at 1/2^N of the size (decoders that can)"),
    "drp": ("decoder_reorder_pts", _int(-1, 1), "let decoder reorder pts 0=off 1=on -1=auto"),
    "hwaccel": ("hwaccel", str, "hardware decoding: a device type (cuda, qsv, drm, ...) or auto"),
    "showmode": ("show_mode", _show_mode, "select show mode (0 = video, 1 = waves, 2 = RDFT)"),
    "rdftspeed": ("rdftspeed", lambda t: _int(1)(t) / 1000.0, "rdft speed (msecs)"),
    "vf": ("vfilters", str, "set video filters (several -vf: w cycles through them)"),
    "af": ("afilters", str, "set audio filters"),
    "filter_threads": ("filter_threads", _int(0), "number of filter threads per graph"),
    "seek_interval": ("seek_interval", _float, "set seek interval for left/right keys, in seconds"),
    "volume": ("volume", int, "set startup volume 0=min 100=max"),
    "f": ("format", str, "force format"),
    "window_title": ("window_title", str, "set window title"),
    "left": ("left", int, "set the x position for the left of the window"),
    "top": ("top", int, "set the y position for the top of the window"),
    "sync": ("sync", _sync, "set audio-video sync. type (type=audio/video/ext)"),
    "loop": ("loop", int, "set number of times the playback shall be looped (0 = forever)"),
    "loglevel": (
        "loglevel",
        _loglevel,
        "set logging level: [repeat+][level+]quiet|panic|fatal|error|warning|info|verbose|debug|trace|N",
    ),
    "v": ("loglevel", _loglevel, "set logging level (as -loglevel)"),
    "trace_file": ("trace_file", str, "write a JSON-lines trace of frames, seeks and audio callbacks"),
    "avio_mem": ("avio_mem", _positive_size, "memory kept of the input, e.g. 256M (default 256M)"),
    "avio_disk": (
        "avio_disk",
        parse_size,
        (
            "temporary disk for a pipe past -avio_mem (default 1G; 0 = never spill); "
            "a pipe keeps the last -avio_mem + -avio_disk bytes it read"
        ),
    ),
    "avio_spill": ("avio_spill", _bool01, "0: the same as -avio_disk 0 (kept for older command lines)"),
    "vo": (
        "vo",
        _choice("sdl", "terminal", "null"),
        "video output: sdl, terminal or null (default: sdl with a display, else terminal)",
    ),
    "renderer": (
        "renderer",
        _choice("auto", "gpu", "software"),
        "SDL renderer: gpu, software, or auto (software when OpenGL runs on the CPU)",
    ),
    "ao": (
        "ao",
        _choice("sounddevice", "null"),
        "audio output: sounddevice or null (default: sounddevice, null when no device opens)",
    ),
    "term_colors": (
        "term_colors",
        _choice("auto", "truecolor", "256"),
        "terminal colours: truecolor, 256, or auto (from COLORTERM/TERM)",
    ),
}

# name -> (attribute, value when given, help). Boolean flags; "-noNAME" sets the opposite.
FLAG_OPTIONS: dict[str, tuple[str, object, str]] = {
    "fs": ("fullscreen", True, "force full screen"),
    "an": ("audio_disable", True, "disable audio"),
    "vn": ("video_disable", True, "disable video"),
    "sn": ("subtitle_disable", True, "disable subtitling"),
    "nodisp": ("display_disable", True, "disable graphical display"),
    "noborder": ("borderless", True, "borderless window"),
    "alwaysontop": ("alwaysontop", True, "window always on top"),
    "stats": ("show_status", 1, "show status"),
    "autoexit": ("autoexit", True, "exit at the end"),
    "exitonkeydown": ("exit_on_keydown", True, "exit on key down"),
    "exitonmousedown": ("exit_on_mousedown", True, "exit on mouse down"),
    "framedrop": ("framedrop", 1, "drop frames when cpu is too slow"),
    "infbuf": ("infinite_buffer", 1, "don't limit the input buffer size (useful with realtime streams)"),
    "untimed": ("untimed", True, "show frames as fast as they decode, no sync, no audio (for benchmarks)"),
    "autorotate": ("autorotate", True, "automatically rotate video"),
    "fast": ("fast", True, "non spec compliant optimizations"),
    "genpts": ("genpts", True, "generate pts"),
    "find_stream_info": (
        "find_stream_info",
        True,
        "read and decode the streams to fill missing information with heuristics",
    ),
    "accurate_seek": (
        "accurate_seek",
        True,
        "seeks land on the frame asked for (decode from the keyframe, show nothing before)",
    ),
    "hide_banner": ("hide_banner", True, "do not show program banner"),
}
_REPEATABLE = frozenset({"vfilters"})  # given several times: all kept, in order


# ffplay's common options that print something from FFmpeg and exit (ffinfo.SHOW prints them).
INFO_OPTIONS: dict[str, str] = {
    "L": "show license",
    "version": "show version",
    "buildconf": "show build configuration",
    "formats": "show available formats",
    "demuxers": "show available demuxers",
    "muxers": "show available muxers",
    "protocols": "show available protocols",
    "codecs": "show available codecs",
    "decoders": "show available decoders",
    "encoders": "show available encoders",
    "bsfs": "show available bit stream filters",
    "filters": "show available filters",
    "pix_fmts": "show available pixel formats",
    "sample_fmts": "show available audio sample formats",
    "layouts": "show standard channel layouts",
}
_INFO_ALIASES = {"license": "L"}
_NEGATED = {"stats": 0, "framedrop": 0, "infbuf": 0}

HELP_TEXT = """\
usage: pyffplay [options] input_file

Simple media player (ffplay, ported to Python)

Main options:
{options}
  -h, -help, --help    show this help

While playing:
q, ESC              quit
f                   toggle full screen
p, SPC              pause
m                   toggle mute
9, 0                decrease and increase volume respectively
/, *                decrease and increase volume respectively
a                   cycle audio channel in the current program
v                   cycle video channel
t                   cycle subtitle channel in the current program
c                   cycle program
w                   cycle video filters or show modes
s                   activate frame-step mode
left/right          seek backward/forward 10 seconds or to custom interval if -seek_interval is set
down/up             seek backward/forward 1 minute
page down/page up   seek backward/forward 10 minutes
right mouse click   seek to percentage in file corresponding to fraction of width
left double-click   toggle full screen
"""


def help_text() -> str:
    lines = []
    for name, (_, _, text) in VALUE_OPTIONS.items():
        lines.append(f"  -{name + ' <value>':<19} {text}")
    for name, (_, _, text) in FLAG_OPTIONS.items():
        lines.append(f"  -{name:<19} {text}")
    lines.append(f"  -{'noframedrop':<19} never drop frames")
    lines.append(f"  -{'nostats':<19} hide the status line")
    lines.append(f"  -{'i <input>':<19} read specified file")
    lines.append("")
    lines.append("Print help / information / capabilities (and exit):")
    for name, text in INFO_OPTIONS.items():
        lines.append(f"  -{name:<19} {text}")
    return HELP_TEXT.format(options="\n".join(lines))


def parse_args(argv: list[str]) -> Options:
    """Parse ffplay-style arguments; raise UsageError with a one-line message."""
    values: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in ("-h", "-help", "--help", "-?"):
            values["show_help"] = True
            continue
        if arg == "-" or not arg.startswith("-") or len(arg) == 1:
            _set_input(values, arg)
            continue
        name = arg.lstrip("-") if arg.startswith("--") else arg[1:]
        if name == "i":
            if i >= len(argv):
                raise UsageError("Missing argument for option 'i'")
            _set_input(values, argv[i])
            i += 1
        elif name in VALUE_OPTIONS:
            attr, conv, _ = VALUE_OPTIONS[name]
            if i >= len(argv):
                raise UsageError(f"Missing argument for option '{name}'")
            value = argv[i]
            i += 1
            try:
                if attr in _REPEATABLE:
                    values[attr] = values.get(attr, ()) + (conv(value),)
                else:
                    values[attr] = conv(value)
            except ValueError:
                raise UsageError(f"Invalid value '{value}' for option '{name}'") from None
        elif name in INFO_OPTIONS or name in _INFO_ALIASES:
            # ffplay acts on the first of these at once (OPT_EXIT): the rest is not parsed,
            # but -loglevel and -hide_banner are looked for everywhere, as its locate_option does.
            values["show_info"] = _INFO_ALIASES.get(name, name)
            _locate_early_options(argv[i:], values)
            break
        elif name in FLAG_OPTIONS:
            attr, given, _ = FLAG_OPTIONS[name]
            values[attr] = given
        elif name.startswith("no") and name[2:] in FLAG_OPTIONS:
            attr, given, _ = FLAG_OPTIONS[name[2:]]
            values[attr] = _NEGATED.get(name[2:], not given)
        else:
            i = _av_option(values, name, argv, i)
    return _finish(values)


def _locate_early_options(argv: list[str], values: dict[str, Any]) -> None:
    for j, arg in enumerate(argv):
        if arg == "-hide_banner":
            values["hide_banner"] = True
        elif arg in ("-loglevel", "-v") and j + 1 < len(argv):
            try:
                values["loglevel"] = _loglevel(argv[j + 1])
            except ValueError:
                raise UsageError(f"Invalid value '{argv[j + 1]}' for option '{arg[1:]}'") from None


def _av_option(values: dict[str, Any], name: str, argv: list[str], i: int) -> int:
    """ffplay's opt_default: an AVOption of FFmpeg (format, protocol, codec, swscale,
    swresample) is kept for where ffplay passes it. Returns the next argument's index."""
    from pyffplay.av_options import route

    targets = route(name)
    if not targets:
        raise UsageError(f"Unrecognized option '{name}'")
    if i >= len(argv):
        raise UsageError(f"Missing argument for option '{name}'")
    for target in targets:
        key = f"{target}_opts"
        values[key] = values.get(key, ()) + ((name, argv[i]),)
    return i + 1


def _finish(values: dict[str, Any]) -> Options:
    """ffplay's checks and implications after parsing, then the frozen Options."""
    warnings: list[str] = []
    volume = values.get("volume", 100)
    if volume < 0:
        warnings.append(f"-volume={volume} < 0, setting to 0")
        values["volume"] = 0
    elif volume > 100:
        warnings.append(f"-volume={volume} > 100, setting to 100")
        values["volume"] = 100
    if values.get("seek_interval") == 0:
        values["seek_interval"] = 10.0
    if not values.get("avio_spill", True):
        values["avio_disk"] = 0
    if values.get("display_disable"):
        values["video_disable"] = True
    if values.get("untimed"):
        # Nothing to sync with: every frame goes out as it comes, none is dropped.
        values["audio_disable"] = True
        values["framedrop"] = 0
    if isinstance(values.get("loglevel"), tuple):
        values["loglevel"], values["log_flags"] = values["loglevel"]
    if values.get("input") is None and not values.get("show_help") and not values.get("show_info"):
        raise UsageError("No input file given (see -h)")
    return Options(**values, warnings=tuple(warnings))


def options_from_keywords(input_name: str, keywords: dict[str, Any]) -> Options:
    """The API's keywords (``an=True``, ``ss=30``, ``vo="null"``) through the command line's
    own parser, so both accept and reject the same things with the same message."""
    argv: list[str] = []
    for key, value in keywords.items():
        if key in FLAG_OPTIONS:
            argv.append(f"-{key}" if value else f"-no{key}")
        elif key in VALUE_OPTIONS:
            if isinstance(value, bool):
                value = int(value)
            argv += [f"-{key}", str(value)]
        elif key.startswith("no") and key[2:] in FLAG_OPTIONS:
            argv.append(f"-{key}" if value else f"-{key[2:]}")
        else:  # FFmpeg's own options (user_agent="x", probesize=32, **{"threads:v": 2}): parse_args decides
            argv += [f"-{key}", str(int(value) if isinstance(value, bool) else value)]
    return parse_args(argv + ["-i", input_name])


def _set_input(values: dict[str, Any], value: str) -> None:
    if values.get("input") is not None:
        raise UsageError(
            f"Argument '{value}' provided as input filename, but '{values['input']}' was already specified."
        )
    values["input"] = value

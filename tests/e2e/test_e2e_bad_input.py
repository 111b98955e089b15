"""Bad inputs and bad command lines: exit 1 with one clear line, never a traceback."""

import time

import pytest

from tests.observe import pyffplay_lines


def _check_one_line_error(run, started):
    elapsed = time.monotonic() - started
    err = run.stderr()
    assert "Traceback" not in err, err[-3000:]
    assert run.proc.returncode == 1, f"exit code {run.proc.returncode}; stderr {err[-1500:]!r}"
    lines = pyffplay_lines(err)  # the banner and FFmpeg's own messages may come first, as in ffplay
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {lines[:10]}"
    assert lines[0].startswith("pyffplay: "), lines[0]
    assert len(lines[0]) > len("pyffplay: ") + 3, lines[0]
    assert elapsed < 6.0, f"took {elapsed:.1f}s to give up"
    return lines[0]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, clip_720p):
    d = tmp_path_factory.mktemp("bad")
    # not ".txt": FFmpeg's tty demuxer claims any *.txt and renders it as ANSI art video
    (d / "notes.dat").write_text("This is not a media file.\n" * 200)
    (d / "empty.mp4").write_bytes(b"")
    (d / "truncated.mp4").write_bytes(clip_720p.read_bytes()[:2048])
    (d / "adir").mkdir()
    return d


@pytest.mark.parametrize("case", ["missing", "directory", "text", "empty", "truncated_mp4"])
def test_bad_input_file(player, bad_files, case):
    path = {
        "missing": bad_files / "no-such-file.mp4",
        "directory": bad_files / "adir",
        "text": bad_files / "notes.dat",
        "empty": bad_files / "empty.mp4",
        "truncated_mp4": bad_files / "truncated.mp4",
    }[case]
    t0 = time.monotonic()
    run = player.run("-autoexit", path, trace=False, timeout=15)
    line = _check_one_line_error(run, t0)
    if case == "missing":
        assert "no-such-file.mp4" in line, line


@pytest.mark.parametrize(
    "args",
    [
        ["-bogus_option", "{clip}"],
        ["-sync", "nonsense", "{clip}"],
        ["{clip}", "-ss"],
        ["-volume", "loud", "{clip}"],
    ],
    ids=["unknown-option", "bad-sync", "missing-value", "bad-number"],
)
def test_bad_command_line(player, clip_720p, args):
    argv = [a.format(clip=clip_720p) for a in args]
    t0 = time.monotonic()
    run = player.run(*argv, trace=False, timeout=15)
    _check_one_line_error(run, t0)


def test_no_input_given(player):
    t0 = time.monotonic()
    run = player.run("-autoexit", trace=False, timeout=15)
    _check_one_line_error(run, t0)

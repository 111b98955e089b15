"""Damaged input plays as far as FFmpeg can take it: the fuzz corpus (tests/fuzz_corpus.py)
through the real ``pyffplay -autoexit``, with the PulseAudio null sink and, for the
variants whose damage is inside packets, a real window (the others use -vo null).

For every variant: no traceback or internal message, no hang, and either it plays (exit 0)
or it ends with one line "pyffplay: ..." and exit 1. Variants damaged only inside
packets, and transport streams whose streams change part-way, play to their end.

Two players run at once (the machine has two cores): a module fixture works through the
corpus in the background, in test order, and each test waits for its variant's result.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.conftest import Player
from tests.fuzz_corpus import Variant, build_corpus, variant_names
from tests.observe import non_status_lines

PARALLEL = 2
# Generous: start-up (PortAudio, SDL) on a loaded machine plus the clip and its end.
RUN_TIMEOUT = 30.0
# From "open" to "exit" in the trace: the clip's length plus this, however loaded the machine.
END_SLACK = 15.0
# A shown picture (or played audio) this close to the end counts as the end.
END_TOLERANCE = 0.3
# Internal detail that must never reach the user, in pyffplay's lines or anywhere else.
INTERNAL = re.compile(r"Traceback|\b\w+Error\b|\bthread\b|Exception|File \"")
PYTHON_TRACE = re.compile(r"Traceback|^\s*File \"|^\w+(Error|Exception)\b")
# FFmpeg's own log (as ffplay prints it) at this level: what it concealed or could not read.
PLAYER_ARGS = ["-autoexit", "-hide_banner", "-loglevel", "warning"]


@dataclass
class Outcome:
    variant: Variant
    rc: int | None  # None: did not exit in time (killed)
    stderr: str
    lines: list[str]  # pyffplay's own stderr lines ("pyffplay: ...")
    ffmpeg_lines: list[str]  # the rest: FFmpeg's log
    last_shown: float | None  # pts of the last picture shown (or audio played, without video)
    open_to_exit: float | None  # seconds from "open" to "exit" in the trace

    @property
    def kind(self) -> str:
        if self.rc is None:
            return "hang"
        if self.rc == 0:
            reached = self.last_shown is not None and self.last_shown >= self.variant.end - END_TOLERANCE
            return "played to end" if reached else "partial"
        return "clean error" if self.rc == 1 else f"exit {self.rc}"


class CorpusRunner:
    """Plays every variant, PARALLEL at a time, in corpus order."""

    def __init__(self, player: Player, corpus: list[Variant]) -> None:
        self.player = player
        self.corpus = {v.name: v for v in corpus}
        self._todo = list(corpus)
        self._lock = threading.Lock()
        self._done: dict[str, Outcome | BaseException] = {}
        self._cond = threading.Condition(self._lock)
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(PARALLEL)]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._todo:
                    return
                v = self._todo.pop(0)
            try:
                result: Outcome | BaseException = self._play(v)
            except BaseException as e:  # reported by the test of this variant
                result = e
            with self._cond:
                self._done[v.name] = result
                self._cond.notify_all()

    def _play(self, v: Variant) -> Outcome:
        window = v.has_video and v.plays_to_end
        args = [*PLAYER_ARGS, *([] if window else ["-vo", "null"]), v.path]
        run = self.player.start(*args)
        try:
            run.wait(RUN_TIMEOUT)
            rc: int | None = run.proc.returncode
        except AssertionError:  # wait() killed it
            rc = None
        err = run.stderr()
        last, span = None, None
        if rc == 0:
            events = run.trace()
            if v.has_video:
                shown = [e["pts"] for e in events if e["ev"] == "frame" and e.get("pts") is not None]
            else:
                shown = [e["clock"] for e in events if e["ev"] == "audio" and e.get("clock") is not None]
            last = max(shown) if shown else None
            times = {e["ev"]: e["t"] for e in events if e["ev"] in ("open", "exit")}
            if len(times) == 2:
                span = times["exit"] - times["open"]
        lines = non_status_lines(err)
        ours = [ln for ln in lines if ln.startswith("pyffplay: ")]
        return Outcome(v, rc, err, ours, [ln for ln in lines if ln not in ours], last, span)

    def result(self, name: str, timeout: float) -> Outcome:
        with self._cond:
            if not self._cond.wait_for(lambda: name in self._done, timeout):
                raise AssertionError(f"{name}: no result within {timeout:.0f}s")
            result = self._done[name]
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        """Start no more players (the ones running finish or are killed by cleanup)."""
        with self._lock:
            self._todo.clear()

    def outcomes(self) -> list[Outcome]:
        with self._lock:
            return [r for r in self._done.values() if isinstance(r, Outcome)]


@pytest.fixture(scope="module")
def corpus_runner(tmp_path_factory, x_display, pulse_server):
    corpus = build_corpus(tmp_path_factory.mktemp("fuzz-corpus"))
    assert [v.name for v in corpus] == variant_names()
    player = Player(tmp_path_factory.mktemp("fuzz-runs"), x_display, pulse_server)
    runner = CorpusRunner(player, corpus)
    yield runner
    runner.stop()
    player.cleanup()


def _check(o: Outcome) -> None:
    v = o.variant
    tail = o.stderr[-1500:]
    assert o.rc is not None, f"{v.name}: still running after {RUN_TIMEOUT}s (hang); stderr {tail!r}"
    for line in o.lines:
        assert not INTERNAL.search(line), f"{v.name}: internal detail reaches the user: {line!r}"
    for line in o.ffmpeg_lines:
        assert not PYTHON_TRACE.search(line), f"{v.name}: a Python error on stderr: {line!r}"
    errors = [ln for ln in o.lines if not ln.startswith("pyffplay: warning: ")]
    if o.rc == 0:
        assert not errors, f"{v.name}: exit 0 with error lines {errors}"
        assert o.open_to_exit is not None and o.open_to_exit < v.end + END_SLACK, (
            f"{v.name}: took {o.open_to_exit}s from open to exit for a {v.end:.1f}s clip"
        )
    else:
        assert o.rc == 1, f"{v.name}: exit code {o.rc}; stderr {tail!r}"
        assert errors == o.lines[-1:] and len(errors) == 1, (
            f"{v.name}: exit 1 must end with exactly one error line; got {o.lines}"
        )
    if v.plays_to_end:
        assert o.kind == "played to end", (
            f"{v.name}: damage only inside packets, yet {o.kind} (rc {o.rc}, last shown "
            f"{o.last_shown}, end {v.end:.2f}); stderr {tail!r}"
        )


@pytest.mark.e2e
@pytest.mark.parametrize("name", variant_names())
def test_damaged_input_plays_or_fails_cleanly(corpus_runner, name):
    # Earlier variants are still being played by the runner: allow for the queue ahead.
    index = variant_names().index(name)
    _check(corpus_runner.result(name, timeout=60.0 + RUN_TIMEOUT * (index + 1) / PARALLEL))


@pytest.mark.e2e
def test_fuzz_outcomes_summary(corpus_runner):
    """Runs last: every variant has a result; prints the counts (pytest -rP shows them)."""
    names = variant_names()
    for name in names:
        corpus_runner.result(name, timeout=RUN_TIMEOUT * len(names))
    outcomes = corpus_runner.outcomes()
    counts = Counter(o.kind for o in outcomes)
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    print(f"fuzz corpus: {len(outcomes)} variants: {summary}")
    for o in sorted(outcomes, key=lambda o: o.variant.name):
        print(
            f"  {o.variant.name:28s} {o.kind:14s} rc={o.rc} last={o.last_shown} end={o.variant.end:.2f} "
            f"{o.lines[-1] if o.lines else ''}"
        )
    assert len(outcomes) == len(names)
    assert not counts["hang"]

"""A fuzz corpus of damaged media: real container/codec mixes, made with PyAV, then damaged.

Two halves:

* clip builders (``make_base_clips``) write short clips of the container/codec mixes met
  in the wild: H.264/AAC in MP4 and MOV, MPEG-TS, MKV with an SRT track, WebM VP9/Opus,
  an MPEG-2 program stream (mpeg2video + mp2), FLAC, MP3; and transport streams in which
  a stream or a program appears part-way through.
* damage functions, pure: clip bytes + seed -> damaged bytes, deterministic
  (``damage``). Some touch only the inside of packets (``payload_ranges`` finds those
  bytes by demuxing the clip), so the file still demuxes and FFmpeg conceals the damage;
  the others break the container itself (header, cut, repeated or zeroed ranges).

``build_corpus(dir)`` writes every variant and returns ``Variant`` records that say what
a player must do with each: play to the end, or play what it can / fail with one line.

    python -m tests.fuzz_corpus OUT_DIR     # write the corpus, print one line per file
"""

from __future__ import annotations

import fractions
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FPS = 160, 120, 25
RATE = 48000
DURATION = 2.0

# -- clips ---------------------------------------------------------------------------------


def _picture(i: int) -> np.ndarray:
    """A yuv420p frame that moves (the encoders have real work) and differs per index."""
    y = np.arange(HEIGHT, dtype=np.int32)[:, None]
    x = np.arange(WIDTH, dtype=np.int32)[None, :]
    luma = (40 + (x + y + 5 * i) % 160).astype(np.uint8)
    chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)
    chroma[:, : (i * 3) % WIDTH] = 90
    return np.concatenate([luma, chroma])


def _tone(start: int, count: int) -> np.ndarray:
    t = np.arange(start, start + count) / RATE
    return (0.2 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def fmt_dtype(fmt: str) -> type:
    return {
        "s16": np.int16,
        "s16p": np.int16,
        "s32": np.int32,
        "s32p": np.int32,
        "flt": np.float32,
        "fltp": np.float32,
    }[fmt]


def _samples(st, pos: int, count: int, offset: int = 0) -> av.AudioFrame:
    """``count`` samples of the tone from ``pos`` in the encoder's own sample format."""
    mono = _tone(pos, count)
    fmt = st.codec_context.format.name
    dtype = fmt_dtype(fmt)
    if dtype is not np.float32:
        mono = (mono * np.iinfo(dtype).max).astype(dtype)
    planes = np.stack([mono, mono])
    data = planes if fmt.endswith("p") else planes.T.reshape(1, -1)
    af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout="stereo")
    af.sample_rate = st.codec_context.sample_rate
    af.pts = pos + offset
    af.time_base = fractions.Fraction(1, af.sample_rate)
    return af


def make_clip(
    path: Path,
    fmt: str,
    vcodec: str | None,
    acodec: str | None,
    *,
    subtitles: bool = False,
    duration: float = DURATION,
    options: dict | None = None,
    audio_from: float = 0.0,
    start: float = 0.0,
    padding: int = 0,
) -> Path:
    """Write a clip: ``vcodec`` video (None: none), ``acodec`` stereo audio (None: none),
    an SRT track when ``subtitles``; audio starts at ``audio_from`` seconds. Timestamps
    begin at ``start`` seconds (the second half of a joined stream goes on from the first).
    ``padding`` bytes of KLV data packets (a data stream) are spread over the frames."""
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        vs = as_ = ss = None
        if vcodec:
            vs = out.add_stream(vcodec, rate=FPS)
            vs.width, vs.height, vs.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            vs.codec_context.time_base = fractions.Fraction(1, FPS)
            vs.codec_context.gop_size = FPS  # a keyframe a second: damage heals within 1 s
            vs.options = {
                "libx264": {"preset": "ultrafast"},
                "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
            }.get(vcodec, {})
        if acodec:
            as_ = out.add_stream(acodec, rate=RATE)
            as_.layout = "stereo"
        subs: list = []
        if subtitles:
            # No SRT encoder opens without an ASS header: copy the stream of a parsed SRT.
            srt = av.open(io.BytesIO(_srt_text(duration)), "r", format="srt")
            ss = out.add_stream_from_template(srt.streams[0])
            subs = [p for p in srt.demux() if p.size]
        n_frames = round(duration * FPS)
        ds = None
        if padding:
            ds = out.add_data_stream("klv")
            ds.time_base = fractions.Fraction(1, 90000)
        a_pos = int(audio_from * RATE)
        a_end = int(duration * RATE)
        chunk = as_.codec_context.frame_size or 1024 if as_ is not None else 0
        for i in range(n_frames + 1):
            limit = a_end if i == n_frames else min(a_end, (i + 1) * RATE // FPS)
            while as_ is not None and a_pos < limit:
                count = min(chunk, a_end - a_pos)
                out.mux(as_.encode(_samples(as_, a_pos, count, int(start * RATE))))
                a_pos += count
            if vs is not None and i < n_frames:
                vf = av.VideoFrame.from_ndarray(_picture(i), format="yuv420p")
                vf.pts = i + int(start * FPS)
                vf.time_base = fractions.Fraction(1, FPS)
                out.mux(vs.encode(vf))
            if ds is not None and i < n_frames:
                pkt = av.Packet(KLV_KEY + bytes(padding // n_frames))
                pkt.stream = ds
                pkt.pts = pkt.dts = (i + int(start * FPS)) * 90000 // FPS
                pkt.time_base = ds.time_base
                out.mux(pkt)
            while subs and subs[0].pts <= i * 1000 // FPS:
                pkt = subs.pop(0)
                pkt.stream = ss
                out.mux(pkt)
        if vs is not None:
            out.mux(vs.encode(None))
        if as_ is not None:
            out.mux(as_.encode(None))
    return path


KLV_KEY = bytes.fromhex("060e2b34")  # SMPTE universal label prefix


def _srt_text(duration: float) -> bytes:
    cues = []
    for k in range(int(duration)):
        cues.append(f"{k + 1}\n00:00:0{k},000 --> 00:00:0{k},800\nline {k}\n")
    return "\n".join(cues).encode()


def _ts(path: Path, vcodec: str | None, acodec: str | None, **kw) -> Path:
    return make_clip(path, "mpegts", vcodec, acodec, **kw)


# name -> (file name, builder). Every builder writes one file and returns its path.
BASE_CLIPS = {
    "mp4": ("h264-aac.mp4", lambda p: make_clip(p, "mp4", "libx264", "aac")),
    "mov": ("h264-aac.mov", lambda p: make_clip(p, "mov", "libx264", "aac")),
    "ts": ("h264-aac.ts", lambda p: _ts(p, "libx264", "aac")),
    "mkv": ("h264-aac-srt.mkv", lambda p: make_clip(p, "matroska", "libx264", "aac", subtitles=True)),
    "webm": ("vp9-opus.webm", lambda p: make_clip(p, "webm", "libvpx-vp9", "libopus")),
    "vob": ("mpeg2-mp2.vob", lambda p: make_clip(p, "vob", "mpeg2video", "mp2")),
    "flac": ("tone.flac", lambda p: make_clip(p, "flac", None, "flac")),
    "mp3": ("tone.mp3", lambda p: make_clip(p, "mp3", None, "libmp3lame")),
}


def make_ts_appearing(path: Path, kind: str, work: Path) -> Path:
    """Transport streams in which something appears part-way through.

    * ``late``: one mux whose audio starts at 1 s (the PMT lists it from the start).
    * ``new_stream``: video only, then video and audio: a new PMT version adds an audio pid.
    * ``new_pids``: a new PMT version moves both streams to other pids.
    * ``new_program``: a second program (other service id, PMT pid and pids) replaces the
      first.

    The joined halves keep continuous timestamps, as a broadcast does. The first half
    carries PROBE_PADDING bytes of KLV data, more than FFmpeg reads to probe the streams
    (5 MB): whatever comes after it appears after the input was opened.
    """
    if kind == "late":
        return _ts(path, "libx264", "aac", audio_from=1.0)
    first = work / f"{path.stem}.part1.ts"
    second = work / f"{path.stem}.part2.ts"
    half = DURATION / 2
    later = {
        "new_stream": {"tables_version": "1"},
        "new_pids": {"tables_version": "1", "mpegts_start_pid": "0x300"},
        "new_program": {
            "mpegts_service_id": "7",
            "mpegts_pmt_start_pid": "0x1200",
            "mpegts_start_pid": "0x300",
        },
    }[kind]
    _ts(first, "libx264", None if kind == "new_stream" else "aac", duration=half, padding=PROBE_PADDING)
    _ts(second, "libx264", "aac", duration=half, start=half, options=later)
    path.write_bytes(first.read_bytes() + second.read_bytes())
    first.unlink()
    second.unlink()
    return path


PROBE_PADDING = 5_300_000
TS_APPEARING = ("late", "new_stream", "new_pids", "new_program")

# -- where the packets are -----------------------------------------------------------------


def payload_ranges(data: bytes, skip: int = 8) -> list[tuple[int, int]]:
    """Byte ranges [start, end) of ``data`` that lie inside packets' payloads.

    Each packet the demuxer returns is looked up near its ``pos``; the part of it found
    there, contiguous (the first TS packet's worth in MPEG-TS, the first PES in a program
    stream, the whole sample in MP4/MKV), is a range. The first ``skip`` bytes of a
    packet are left out: they hold codec headers (NAL header, frame sync) whose loss
    drops the whole packet rather than damaging it.
    """
    ranges = []
    with av.open(io.BytesIO(data), "r") as c:
        if c.format.name == "mpegts":
            return _ts_payload_ranges(data, {s.id for s in c.streams})
        for pkt in c.demux():
            if pkt.size == 0 or pkt.pos is None or pkt.pos < 0:
                continue
            body = bytes(pkt)
            probe = body[:16]
            at = data.find(probe, pkt.pos, pkt.pos + 4096)
            if at < 0:
                continue
            n = len(probe)
            # Extend while the file goes on with the packet's bytes.
            limit = min(len(body), len(data) - at)
            step = 64
            while n < limit:
                m = min(step, limit - n)
                if data[at + n : at + n + m] != body[n : n + m]:
                    while n < limit and data[at + n] == body[n]:
                        n += 1
                    break
                n += m
            if n > skip:
                ranges.append((at + skip, at + n))
    return ranges


TS_PACKET = 188


def _ts_payload_ranges(data: bytes, pids: set[int]) -> list[tuple[int, int]]:
    """MPEG-TS: the payload of every TS packet of an elementary stream that neither starts
    a PES (its PES header) nor carries an adaptation field (PCR, stuffing)."""
    ranges = []
    for at in range(0, len(data) - TS_PACKET + 1, TS_PACKET):
        if data[at] != 0x47:
            continue
        pusi = data[at + 1] & 0x40
        pid = (data[at + 1] & 0x1F) << 8 | data[at + 2]
        adaptation = (data[at + 3] >> 4) & 0x3
        if pid in pids and not pusi and adaptation == 1:
            ranges.append((at + 4, at + TS_PACKET))
    return ranges


# -- damage (pure) -------------------------------------------------------------------------

PAYLOAD_DAMAGE = ("flip_payload", "zero_payload")
CONTAINER_DAMAGE = ("flip_any", "flip_meta", "zero_any", "repeat", "cut", "header")


def damage(data: bytes, kind: str, seed: int, ranges: list[tuple[int, int]] | None = None) -> bytes:
    """``data`` damaged the ``kind`` way, the same for the same ``seed``.

    Payload kinds need ``ranges`` (from ``payload_ranges``) and change only bytes in them;
    ``flip_meta`` changes only bytes outside them (and outside the packets' first bytes).
    """
    rng = random.Random(f"{kind}:{seed}")
    out = bytearray(data)
    n = len(out)
    if kind in PAYLOAD_DAMAGE:
        if not ranges:
            raise ValueError("payload damage needs payload ranges")
        picked = rng.sample(ranges, k=min(len(ranges), max(3, len(ranges) // 10)))
        for a, b in picked:
            if kind == "flip_payload":
                for _ in range(rng.randint(1, 4)):
                    i = rng.randrange(a, b)
                    out[i] ^= rng.randint(1, 255)
            else:
                i = rng.randrange(a, b)
                j = min(b, i + rng.randint(1, 64))
                out[i:j] = bytes(j - i)
        return bytes(out)
    if kind == "flip_meta":
        # The container's own bytes (headers, indexes, tables): everything outside packets.
        inside = bytearray(n)
        for a, b in ranges or []:
            inside[a - 8 if a >= 8 else 0 : b] = b"\x01" * (b - max(a - 8, 0))
        outside = [i for i in range(n) if not inside[i]]
        for i in rng.sample(outside, k=min(len(outside), 8)):
            out[i] ^= rng.randint(1, 255)
    elif kind == "flip_any":
        for _ in range(max(4, n // 2000)):
            i = rng.randrange(n)
            out[i] ^= rng.randint(1, 255)
    elif kind == "zero_any":
        for _ in range(3):
            i = rng.randrange(n)
            j = min(n, i + rng.randint(16, 4096))
            out[i:j] = bytes(j - i)
    elif kind == "repeat":
        i = rng.randrange(n // 8, n)
        j = min(n, i + rng.randint(64, 8192))
        out[j:j] = out[i:j]
    elif kind == "cut":
        del out[int(n * rng.uniform(0.3, 0.9)) :]
    elif kind == "header":
        j = min(n, rng.randint(64, 1024))
        out[:j] = bytes(rng.randrange(256) for _ in range(j))
    else:
        raise ValueError(f"unknown damage {kind!r}")
    return bytes(out)


# -- targeted damage: bugs the random damage found once, kept as fixed variants --------------

CODEC_IDS = {b"V_MPEG4/ISO/AVC": b"V_MPEG4/ISO/AVX", b"V_VP9": b"V_VPX", b"avc1": b"avx1"}


def unknown_video_codec(data: bytes) -> bytes:
    """The video track names a codec FFmpeg has no decoder for (the audio stays playable)."""
    for known, unknown in CODEC_IDS.items():
        if known in data:
            return data.replace(known, unknown)
    raise ValueError("no known video codec id in the data")


def matroska_pts_jump(data: bytes, at_seconds: float = 1.2, jump_ms: int = 0x7FFF) -> bytes:
    """One video block of a Matroska file jumps ``jump_ms`` ahead of its cluster (a damaged
    SimpleBlock timecode): the picture after it would wait that long to be shown."""
    with av.open(io.BytesIO(data)) as c:
        st = c.streams.video[0]
        for pkt in c.demux(st):
            if pkt.pts is not None and pkt.pts * float(st.time_base) >= at_seconds:
                body = bytes(pkt)
                at = data.find(body[:16], pkt.pos)
                break
        else:
            raise ValueError("no video packet that late")
    out = bytearray(data)
    out[at - 3 : at - 1] = jump_ms.to_bytes(2, "big", signed=True)  # track vint, int16 timecode, flags
    return bytes(out)


# (clip, kind, builder): the regressions. "unknown_codec" plays its audio to the end.
TARGETED = (
    ("mp4", "unknown_codec", unknown_video_codec),
    ("mkv", "unknown_codec", unknown_video_codec),
    ("webm", "unknown_codec", unknown_video_codec),
    ("mkv", "pts_jump", matroska_pts_jump),
    ("webm", "pts_jump", matroska_pts_jump),
)


# -- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    path: Path
    plays_to_end: bool  # only packets damaged, or a TS whose streams change: play to the end
    has_video: bool
    end: float  # pts (s) of the last picture (or audio packet, without video) FFmpeg gives


# The same demuxer options as the player (pyffplay/demux.py).
PLAYER_OPEN_OPTIONS = {"scan_all_pmts": "1", "merge_pmt_versions": "1"}


def last_pts(path: Path) -> float:
    """The pts in seconds of the last packet of the stream the player shows: the first video
    stream with a decoder, else the first audio stream, as FFmpeg demuxes the file. Streams that appear
    after open are not seen here either (PyAV skips them, then raises IndexError)."""
    with av.open(str(path), "r", options=PLAYER_OPEN_OPTIONS) as c:
        decodable = [s for s in c.streams if s.codec_context is not None]
        st = next(
            s
            for s in decodable
            if s.type == "video" or s.type == "audio" and not any(v.type == "video" for v in decodable)
        )
        tb = float(st.time_base)
        last = float("-inf")
        try:
            for pkt in c.demux(st):
                if pkt.pts is not None:
                    last = max(last, pkt.pts * tb)
        except IndexError:
            pass
    return last


def variant_names() -> list[str]:
    """The names build_corpus gives, in its order, without building anything."""
    names = [f"{name}-{kind}" for name in BASE_CLIPS for kind in PAYLOAD_DAMAGE + CONTAINER_DAMAGE]
    names += [f"{name}-{kind}" for name, kind, _ in TARGETED]
    return names + [f"ts-appear-{kind}" for kind in TS_APPEARING]


def build_corpus(root: Path, seed: int = 7) -> list[Variant]:
    """Write every base clip and its damaged variants under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    clean = root / "clean"
    clean.mkdir(exist_ok=True)
    variants: list[Variant] = []
    clean_paths = {}
    for name, (filename, build) in BASE_CLIPS.items():
        path = clean_paths[name] = build(clean / filename)
        data = path.read_bytes()
        has_video = name not in ("flac", "mp3")
        end = last_pts(path)
        ranges = payload_ranges(data)
        for k, kind in enumerate(PAYLOAD_DAMAGE + CONTAINER_DAMAGE):
            out = root / f"{name}-{kind}{path.suffix}"
            out.write_bytes(damage(data, kind, seed * 1000 + 10 * len(variants) + k, ranges))
            variants.append(Variant(out.stem, out, kind in PAYLOAD_DAMAGE, has_video, end))
    for name, kind, patch in TARGETED:
        path = clean_paths[name]
        out = root / f"{name}-{kind}{path.suffix}"
        out.write_bytes(patch(path.read_bytes()))
        # Without a video decoder the audio plays; a pts jump must not hold the picture.
        end = last_pts(out) if kind == "unknown_codec" else last_pts(path)
        variants.append(Variant(out.stem, out, True, kind != "unknown_codec", end))
    for kind in TS_APPEARING:
        out = make_ts_appearing(root / f"ts-appear-{kind}.ts", kind, clean)
        variants.append(Variant(out.stem, out, True, True, last_pts(out)))
    return variants


def _main(argv: list[str]) -> int:
    import time

    t0 = time.monotonic()
    corpus = build_corpus(Path(argv[0]) if argv else Path("fuzz-corpus"))
    for v in corpus:
        expect = "to-end" if v.plays_to_end else "any"
        print(f"{v.path}  {v.path.stat().st_size:8d}  end {v.end:5.2f}  {expect}")
    print(f"{len(corpus)} variants in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

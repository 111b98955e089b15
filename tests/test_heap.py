"""pyffplay.heap: glibc's mmap threshold pinned for a long-running player."""

from __future__ import annotations

import subprocess
import sys

from pyffplay import heap


def _run(code: str, env_extra: dict[str, str]) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_sets_the_threshold_in_a_fresh_process():
    assert _run("from pyffplay import heap; print(heap.fix_mmap_threshold())", {}) == "True"


def test_leaves_a_threshold_the_user_chose():
    code = "from pyffplay import heap; print(heap.fix_mmap_threshold())"
    assert _run(code, {"MALLOC_MMAP_THRESHOLD_": "1048576"}) == "False"


_FRAGMENT = """
import ctypes, sys
if sys.argv[1] == "pin":
    from pyffplay import heap
    heap.fix_mmap_threshold()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])
p = libc.malloc(16 << 20); ctypes.memset(p, 1, 16 << 20); libc.free(p)
before = rss()
blocks, keep = [], []
for _ in range(4):
    b = libc.malloc(8 << 20); ctypes.memset(b, 1, 8 << 20); blocks.append(b)
    keep.append(libc.malloc(4096))  # small survivors between them: no trim from the top
for b in blocks:
    libc.free(b)
print(rss() - before)
"""


def _grown_kib(mode: str) -> int:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    out = subprocess.run(
        [sys.executable, "-c", _FRAGMENT, mode], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_big_freed_buffers_leave_the_resident_set():
    # One freed 16 MiB block raises glibc's threshold; 8 MiB buffers then come from the
    # heap and, freed between small survivors, stay resident. Pinned, they go back.
    assert _grown_kib("default") > 24 * 1024  # the drift this module exists for
    assert _grown_kib("pin") < 4 * 1024


def test_module_has_no_side_effect_on_import():
    assert heap.MMAP_THRESHOLD == 256 * 1024

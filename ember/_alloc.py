"""Keep freed array memory in the process instead of handing it back to the OS at once.

NumPy takes every result array from malloc. glibc serves a large block with a fresh ``mmap`` and
unmaps it again on ``free``, so a training step that makes and drops the same multi-megabyte
arrays every iteration pays a page fault on each first touch of each page: about a third of a
small CNN's step on the CPU. PyTorch avoids this with its own allocator; we tune glibc instead,
once, at import: blocks up to 32 MB (glibc's ceiling for this knob) come from the heap, and up
to 512 MB of free heap is kept for reuse. Set ``EMBER_MALLOC_TUNING=0`` to leave malloc alone.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc():
    """Returns True when glibc accepted both settings."""
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_MALLOC_TUNING") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):     # not glibc (musl, ...): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) & bool(mallopt(_M_TRIM_THRESHOLD, 512 << 20))

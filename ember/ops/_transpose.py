"""Batched 2-d transposes through OpenBLAS's ``?omatcopy``: the layout copies between NCHW and
channels-last (B, C, P) <-> (B, P, C) that a convolution makes on the way in and out.

NumPy copies a transposed view with a strided inner loop: one channel per step, a whole plane
apart, so every step lands on a new cache line (and on 4 KiB planes on the same cache set).
OpenBLAS's omatcopy transposes in register tiles instead; on this machine it runs the (64, 32,
32x32) float32 layout copy of a ResNet's first stage 2-4 times faster (0.43 ms against 1.7 ms
from cache, 0.83 against 1.8 from memory). It is one call per image through ctypes (which
releases the GIL), used where NumPy's OpenBLAS exports it for the dtype (float32, float64) and
the images are big enough to pay for the call; the callers keep NumPy's copy as the fallback,
and use it while ``ember.compile`` records (a raw-pointer call is beyond what it can follow)."""
import ctypes

import numpy as np

from .._flags import CAPTURING

__all__ = []

_FNS = {}        # dtype char -> the ctypes function, or None where not available
# per image, below this many elements NumPy's copy is as fast as a call (its planes are small
# enough not to thrash the cache)
_MIN_IMAGE = 1 << 14
_ROW_MAJOR, _TRANS = 101, 112


def _lookup(prefix):
    from .._threads import _openblas
    lib = _openblas()
    if lib is None:
        return None
    config = next((getattr(lib, n) for n in ("openblas_get_config", "scipy_openblas_get_config64_",
                                             "openblas_get_config64_") if hasattr(lib, n)), None)
    ilp64_build = False
    if config is not None:
        config.restype = ctypes.c_char_p
        ilp64_build = b"USE64BITINT" in (config() or b"")
    # suffixed names are the 64-bit-integer interface; a plain name has the build's integers
    for name, ilp64 in ((f"scipy_cblas_{prefix}omatcopy64_", True),
                        (f"cblas_{prefix}omatcopy64_", True),
                        (f"cblas_{prefix}omatcopy", ilp64_build)):
        fn = getattr(lib, name, None)
        if fn is None:
            continue
        i = ctypes.c_int64 if ilp64 else ctypes.c_int
        f = ctypes.c_float if prefix == "s" else ctypes.c_double
        fn.argtypes = [ctypes.c_int, ctypes.c_int, i, i, f, ctypes.c_void_p, i, ctypes.c_void_p, i]
        fn.restype = None
        if _works(fn, np.float32 if prefix == "s" else np.float64):
            return fn
    return None


def _works(fn, dtype):
    """A self-test on a 2x3 matrix: the function is only used if it transposes correctly."""
    a = np.arange(6, dtype=dtype).reshape(2, 3)
    b = np.full((3, 2), -1, dtype)
    fn(_ROW_MAJOR, _TRANS, 2, 3, 1.0, a.ctypes.data, 3, b.ctypes.data, 2)
    return bool(np.array_equal(b, a.T))


def _fn(dtype):
    key = dtype.char
    if key not in _FNS:
        _FNS[key] = _lookup({"f": "s", "d": "d"}[key]) if key in "fd" else None
    return _FNS[key]


def transpose_batch(src, dst):
    """dst[b] = src[b].T for NumPy arrays src (B, R, K) and dst (B, K, R) with unit-stride rows
    and any (non-negative) row and batch strides. Returns whether it was done; False (nothing
    written) where omatcopy does not apply, so that the caller copies with NumPy."""
    if (src.__class__ is not np.ndarray or dst.__class__ is not np.ndarray
            or src.dtype != dst.dtype or src.ndim != 3 or dst.ndim != 3
            or CAPTURING[0] is not None or src.shape[0] == 0 or src[0].size < _MIN_IMAGE):
        return False
    B, R, K = src.shape
    it = src.itemsize
    if dst.shape != (B, K, R) or src.strides[2] != it or dst.strides[2] != it or \
            min(src.strides[:2] + dst.strides[:2]) < 0 or not dst.flags.writeable:
        return False
    lda, ldb = src.strides[1] // it, dst.strides[1] // it
    if src.strides[1] % it or dst.strides[1] % it or lda < K or ldb < R:
        return False
    fn = _fn(src.dtype)
    if fn is None:
        return False
    a, b, sa, sb = src.ctypes.data, dst.ctypes.data, src.strides[0], dst.strides[0]
    for i in range(B):     # one call per image: each is a whole (R, K) transpose
        fn(_ROW_MAJOR, _TRANS, R, K, 1.0, a + i * sa, lda, b + i * sb, ldb)
    return True


def as_3d(a, shape):
    """``a`` viewed as ``shape`` without a copy, or None where that would need one."""
    try:
        return a.reshape(shape, copy=False)
    except (ValueError, TypeError):
        return None

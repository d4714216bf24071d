"""Layout copies between NCHW and channels-last through BLAS's out-of-place transpose.

Laying an image out from (C, H*W) to (H*W, C) or back is a matrix transpose. NumPy copies it
element by element along one side with the other side strided by a whole plane, which maps
every element of a run to the same cache set once planes are 4 KiB; OpenBLAS's ``omatcopy``
(a BLAS extension that NumPy's own OpenBLAS exports) transposes in cache-sized tiles, 2.3 to 3
times faster on a ResNet's 32x32 and 16x16 planes. It takes one matrix per call, and the images
of a batch are separate matrices (no single strided matrix holds a batch's channels-last
layout), so ``transpose_into`` hands BLAS one image at a time: a loop over calls of a compiled
kernel, each moving a whole image, as NumPy's own ``matmul`` loops over a stack.

The values are copied exactly (the kernel multiplies by alpha = 1). Where the library or the
symbol is missing, for other dtypes, small images, or while ember.compile records (a replay
must see NumPy calls), ``transpose_into`` says no and the caller copies with NumPy."""
import ctypes
import math

import numpy as np

from .._flags import CAPTURING
from . import _parallel

__all__ = []   # copy_layout and transpose_into are for ember's ops

_ROW_MAJOR, _TRANS = 101, 112
_NAMES = {np.dtype(np.float32): ("scipy_cblas_somatcopy64_", "cblas_somatcopy64_",
                                 "cblas_somatcopy"),
          np.dtype(np.float64): ("scipy_cblas_domatcopy64_", "cblas_domatcopy64_",
                                 "cblas_domatcopy")}
_FNS = {}
# below this many elements per image NumPy's copy is as fast (16x16 planes of 16 channels)
MIN_ELEMENTS = 1 << 13


def _lookup(dt):
    """BLAS's omatcopy for ``dt``, checked once on a small matrix; None where unusable. The
    sizes are passed as 64-bit integers, which a 32-bit-integer build reads correctly too on
    x86-64 and arm64 (arguments occupy 64-bit registers and stack slots)."""
    if dt not in _FNS:
        _FNS[dt] = None
        from .._threads import _openblas
        lib = _openblas()
        for name in _NAMES[dt] if lib is not None else ():
            fn = getattr(lib, name, None)
            if fn is None:
                continue
            i64, ptr = ctypes.c_int64, ctypes.c_void_p
            real = ctypes.c_float if dt == np.float32 else ctypes.c_double
            fn.argtypes = [ctypes.c_int, ctypes.c_int, i64, i64, real, ptr, i64, ptr, i64]
            fn.restype = None
            a = np.arange(15, dtype=dt).reshape(3, 5)
            b = np.full((5, 4), -1, dt)                # a row stride wider than the rows
            fn(_ROW_MAJOR, _TRANS, 3, 5, 1.0, a.ctypes.data, 5, b.ctypes.data, 4)
            if np.array_equal(b[:, :3], a.T) and (b[:, 3] == -1).all():
                _FNS[dt] = fn
            break
    return _FNS[dt]


def transpose_into(src, dst, n, r, c, src_strides, dst_strides):
    """dst[i] = src[i].T for i < n: ``src`` holds n matrices (r, c) and ``dst`` n matrices (c, r),
    both NumPy arrays of one float dtype, each matrix at byte strides (between matrices,
    between rows) from the array's first element, with unit-strided rows. True when done;
    False when this path does not apply (nothing has been written then)."""
    if (src.__class__ is not np.ndarray or dst.__class__ is not np.ndarray
            or src.dtype is not dst.dtype or CAPTURING[0] is not None or r * c < MIN_ELEMENTS):
        return False
    isz = src.itemsize
    (sa, ra), (sb, rb) = src_strides, dst_strides
    if ra < c * isz or rb < r * isz or ra % isz or rb % isz or not dst.flags.writeable \
            or np.may_share_memory(src, dst):
        return False
    fn = _FNS[src.dtype] if src.dtype in _FNS else _lookup(src.dtype) if src.dtype in _NAMES \
        else None
    if fn is None:
        return False
    a, b, lda, ldb = src.ctypes.data, dst.ctypes.data, ra // isz, rb // isz
    for i in range(n):          # one image per call: see the module's docstring
        fn(_ROW_MAJOR, _TRANS, r, c, 1.0, a + i * sa, lda, b + i * sb, ldb)
    return True


def copy_layout(xp, dst, src):
    """dst[...] = src by BLAS's transpose when one of them is channels-last
    contiguous per image and the other the channels-last view (B, *S, C) of NCHW images with
    contiguous planes; False (nothing written) where that does not apply."""
    if src.ndim < 3 or src.shape != dst.shape or xp.__name__ != "numpy":
        return False
    B, C, P = src.shape[0], src.shape[-1], math.prod(src.shape[1:-1])
    isz = src.itemsize
    if _planes(src, isz) and _packed(dst.shape[1:], dst.strides[1:], isz):
        return transpose_into(src, dst, B, C, P, (src.strides[0], P * isz),
                              (dst.strides[0], C * isz))
    if _packed(src.shape[1:], src.strides[1:], isz) and _planes(dst, isz):
        return transpose_into(src, dst, B, P, C, (src.strides[0], C * isz),
                              (dst.strides[0], P * isz))
    if _planes(src, isz) and _packed(dst.shape[-2:], dst.strides[-2:], isz) and \
            B * P * C <= _parallel._SCRATCH_MAX and P * C >= MIN_ELEMENTS:
        # into a padded copy's interior: transposed into scratch, then copied as whole rows
        tmp = _parallel.scratch(B * P * C, src.dtype, slot=1).reshape(src.shape)
        if not transpose_into(src, tmp, B, C, P, (src.strides[0], P * isz), (P * C * isz,
                                                                               C * isz)):
            return False
        dst[...] = tmp
        return True
    return False


def _planes(a, isz):
    """Whether the channels-last view ``a`` (B, *S, C) is of NCHW images with packed planes."""
    return _packed((a.shape[-1],) + a.shape[1:-1], (a.strides[-1],) + a.strides[1:-1], isz)


def _packed(shape, strides, isz):
    """Whether dims of ``shape`` with ``strides`` lie C-contiguously (size-1 dims aside)."""
    step = isz
    for n, st in zip(reversed(shape), reversed(strides)):
        if n != 1 and st != step:
            return False
        step *= n
    return True

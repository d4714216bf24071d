"""PyTorch's float32 Box-Muller block (``normal_fill_16_AVX2``) reproduced on NumPy.

On x86-64 CPUs with AVX2, ``normal_`` on a contiguous float32 tensor of 16 or more elements
runs Cephes-style polynomial ``log`` and ``sincos`` (avx_mathfun, after Julien Pommier's
sse_mathfun) on blocks of 16 uniforms. To give PyTorch's numbers bit for bit, this module runs
the same float32 operations in the same order, including the multiply-adds that the compiler
fuses (a fused multiply-add is computed in float64, where the float32 product is exact, and
rounded once to float32). The polynomial coefficients are the Cephes ones the algorithm is
defined by.

The work runs on flat, cache-sized chunks with preallocated buffers: a loop over chunks, not
elements.
"""
import math

import numpy as np

__all__ = ["normal_fill_16_avx2"]

_f = np.float32
_CHUNK = 1 << 14          # values per chunk: the float64 scratch stays in cache

_LOG_P = [_f(c) for c in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                          -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                          2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]
_LOG_Q1, _LOG_Q2 = _f(-2.12194440e-4), _f(0.693359375)
_SQRTHF = _f(0.707106781186547524)
_DP = (_f(-0.78515625), _f(-2.4187564849853515625e-4), _f(-3.77489497744594108e-8))
_COS_P = (_f(2.443315711809948E-005), _f(-1.388731625493765E-003), _f(4.166664568298827E-002))
_SIN_P = (_f(-1.9515295891E-4), _f(8.3321608736E-3), _f(-1.6666654611E-1))
_FOPI = _f(1.27323954473516)          # 4 / pi
_TWO_PI = _f(2.0 * math.pi)


class _Scratch:
    """Buffers for one chunk of ``n`` values."""

    def __init__(self, n):
        self.d = np.empty(n, np.float64)            # the fused multiply-add's exact sum
        self.a, self.b, self.c, self.e = (np.empty(n, np.float32) for _ in range(4))
        self.i, self.j = np.empty(n, np.int32), np.empty(n, np.int32)
        self.m = np.empty(n, bool)


def _fma(a, b, c, out, s):
    """out = a * b + c with one float32 rounding (``b``, ``c`` arrays or float32 scalars)."""
    np.multiply(a, b, out=s.d, dtype=np.float64)
    np.add(s.d, c, out=out, casting="same_kind")
    return out


def _log(x, s):
    """log256_ps of x in (0, 1], in place on ``x``; ``s.e`` holds the exponent."""
    xi, e, y, z = x.view(np.int32), s.e, s.a, s.b
    np.right_shift(xi, 23, out=s.i)
    np.subtract(s.i, 126, out=s.i)                # exponent - 127 + 1
    e[...] = s.i
    np.bitwise_and(xi, np.int32(~0x7F800000), out=xi)
    np.bitwise_or(xi, np.int32(0x3F000000), out=xi)   # mantissa in [0.5, 1)
    np.less(x, _SQRTHF, out=s.m)
    np.subtract(e, s.m, out=e, casting="unsafe")      # e -= 1 where m < sqrt(1/2)
    np.multiply(x, s.m, out=y, casting="unsafe")      # x where small, else 0
    np.subtract(x, _f(1), out=x)
    np.add(x, y, out=x)                               # 2m - 1 where small, m - 1 elsewhere
    np.multiply(x, x, out=z)
    y.fill(_LOG_P[0])
    for c in _LOG_P[1:]:
        _fma(y, x, c, y, s)
    np.multiply(y, x, out=y)
    np.multiply(e, _LOG_Q1, out=s.c)
    _fma(y, z, s.c, y, s)                             # fused: (p * x) * z + e * q1
    np.multiply(z, _f(0.5), out=z)
    np.subtract(y, z, out=y)
    np.add(x, y, out=x)
    return _fma(e, _LOG_Q2, x, x, s)


def _sincos(x, sin, cos, s):
    """sincos256_ps of x in [0, 2 pi) into ``sin`` and ``cos`` (``x`` is overwritten)."""
    j, k, y, z = s.i, s.j, s.e, s.b
    np.multiply(x, _FOPI, out=y)
    j[...] = y                                    # truncation toward zero
    np.add(j, 1, out=j)
    np.bitwise_and(j, ~1, out=j)
    y[...] = j
    for dp in _DP:                                # extended-precision reduction, fused
        _fma(y, dp, x, x, s)
    np.bitwise_and(j, 2, out=k)
    np.equal(k, 0, out=s.m)                       # which polynomial gives sin
    np.subtract(j, 2, out=k)
    np.invert(k, out=k)
    np.bitwise_and(k, 4, out=k)
    np.left_shift(k, 29, out=k)                   # cos sign bit
    np.bitwise_and(j, 4, out=j)
    np.left_shift(j, 29, out=j)                   # sin sign bit
    np.multiply(x, x, out=z)
    c, p = s.a, s.c
    c.fill(_COS_P[0])
    _fma(c, z, _COS_P[1], c, s)
    _fma(c, z, _COS_P[2], c, s)
    np.multiply(c, z, out=c)
    np.multiply(z, _f(-0.5), out=p)
    _fma(c, z, p, c, s)                           # fused: (c * z) * z - z / 2
    np.add(c, _f(1), out=c)
    p.fill(_SIN_P[0])
    _fma(p, z, _SIN_P[1], p, s)
    _fma(p, z, _SIN_P[2], p, s)
    np.multiply(p, z, out=p)
    _fma(p, x, x, p, s)
    np.copyto(sin, c)
    np.copyto(sin, p, where=s.m)
    np.copyto(cos, p)
    np.copyto(cos, c, where=s.m)
    si, ci = sin.view(np.int32), cos.view(np.int32)
    np.bitwise_xor(si, j, out=si)
    np.bitwise_xor(ci, k, out=ci)


def normal_fill_16_avx2(u, mean, std):
    """Blocks of 16 float32 uniforms (shape (k, 16)) to normals: u1 = 1 - u[:, :8],
    u2 = u[:, 8:], radius sqrt(-2 log u1), angle 2 pi u2; ``mean + std * (r cos, r sin)``."""
    mean, std = _f(mean), _f(std)
    k = len(u)
    out = np.empty((k, 16), np.float32)
    rows = max(1, _CHUNK // 8)
    s = _Scratch(min(k, rows) * 8)
    for start in range(0, k, rows):               # a loop over cache-sized chunks
        blk = u[start:start + rows]
        n = len(blk) * 8
        if n != len(s.d):
            s = _Scratch(n)
        radius = np.subtract(_f(1), blk[:, :8]).ravel()
        theta = np.multiply(_TWO_PI, blk[:, 8:]).ravel()
        _log(radius, s)
        np.multiply(radius, _f(-2), out=radius)
        np.sqrt(radius, out=radius)
        sin, cos = np.empty(n, np.float32), np.empty(n, np.float32)
        _sincos(theta, sin, cos, s)
        np.multiply(cos, radius, out=cos)
        np.multiply(sin, radius, out=sin)
        dst = out[start:start + rows]
        if std == 1 and mean == 0:
            dst[:, :8] = cos.reshape(-1, 8)
            dst[:, 8:] = sin.reshape(-1, 8)
        else:
            dst[:, :8] = _fma(cos, std, mean, cos, s).reshape(-1, 8)
            dst[:, 8:] = _fma(sin, std, mean, sin, s).reshape(-1, 8)
    return out

"""PyTorch's float32 Box-Muller block (``normal_fill_16_AVX2``) reproduced on NumPy.

On x86-64 CPUs with AVX2, ``normal_`` on a contiguous float32 tensor of 16 or more elements
runs Cephes-style polynomial ``log`` and ``sincos`` (avx_mathfun, after Julien Pommier's
sse_mathfun) on blocks of 16 uniforms. To give PyTorch's numbers bit for bit, this module runs
the same float32 operations in the same order, including the multiply-adds that the compiler
fuses (a fused multiply-add is computed in float64, where the float32 product is exact, and
rounded once to float32). The polynomial coefficients are the Cephes ones the algorithm is
defined by.

The work runs on flat, cache-sized chunks with preallocated buffers: a loop over chunks, not
elements. For speed, every pass is a plain (unbuffered) ufunc loop: the multiply-add chains keep
their operands in float64 buffers and round to float32 through a cast and back; multiply-adds
whose product is exact in float32 (e * q2, and the first two steps of the sincos reduction,
where y is an even integer <= 8) are plain float32 ops, which give the same bits; the sin/cos
selection and the sign flips are integer bit operations (a random mask makes ``where=`` slow).
Every value is the same as the straightforward emulation's (checked over all 2^24 uniforms).
"""
import math

import numpy as np

__all__ = ["normal_fill_16_avx2"]

_f = np.float32
_CHUNK = 1 << 15          # values per chunk: the float64 scratch stays in cache

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
    """Buffers for one chunk of ``n`` values of each half (radius and angle)."""

    def __init__(self, n):
        f32 = lambda: np.empty(n, np.float32)          # noqa: E731
        self.x, self.m, self.ef, self.sf, self.t, self.y = (f32() for _ in range(6))
        self.z, self.c, self.p, self.s2 = (f32() for _ in range(4))
        self.x64, self.y64, self.z64, self.q64 = (np.empty(n, np.float64) for _ in range(4))
        self.e, self.j, self.k = (np.empty(n, np.int32) for _ in range(3))


def _round32(v64, v32):
    """v64 rounded to float32 (into ``v32``) and back, in place: the one rounding of a fused
    multiply-add computed in float64."""
    np.copyto(v32, v64, casting="same_kind")
    np.copyto(v64, v32)


def _horner(y64, x64, coefs, y32):
    """The polynomial coefs[0] x^(k-1) + ... as a chain of fused multiply-adds; y32 ends as
    the float32 value (y64 holds it too)."""
    np.multiply(x64, coefs[0], out=y64)
    for i, c in enumerate(coefs[1:]):
        if i:
            np.multiply(y64, x64, out=y64)
        np.add(y64, c, out=y64)
        _round32(y64, y32)
    return y32


def _log_radius(u1, s):
    """sqrt(-2 log(1 - u1)) as log256_ps computes the log, into ``s.x``."""
    x, m, ef, sf, t = s.x, s.m, s.ef, s.sf, s.t
    np.subtract(_f(1), u1, out=x.reshape(u1.shape))
    np.frexp(x, out=(m, s.e))                         # x = m 2^e, m in [0.5, 1)
    np.less(m, _SQRTHF, out=sf)                       # 1.0 where m < sqrt(1/2)
    np.copyto(ef, s.e, casting="unsafe")
    np.subtract(ef, sf, out=ef)                       # e - 1 there
    np.multiply(m, sf, out=t)
    np.subtract(m, _f(1), out=x)
    np.add(x, t, out=x)                               # 2m - 1 where small, m - 1 elsewhere
    np.copyto(s.x64, x)
    y = _horner(s.y64, s.x64, _LOG_P, s.y)
    np.multiply(y, x, out=y)
    np.multiply(x, x, out=s.z)
    np.multiply(ef, _LOG_Q1, out=t)
    np.copyto(s.q64, t)
    np.copyto(s.z64, s.z)
    np.copyto(s.y64, y)
    np.multiply(s.y64, s.z64, out=s.y64)              # fused: (p * x) * z + e * q1
    np.add(s.y64, s.q64, out=s.y64)
    np.copyto(y, s.y64, casting="same_kind")
    np.multiply(s.z, _f(0.5), out=s.z)
    np.subtract(y, s.z, out=y)
    np.add(x, y, out=x)
    np.multiply(ef, _LOG_Q2, out=ef)                  # exact: q2 has 9 bits, e 5
    np.add(x, ef, out=x)                              # the fused e * q2 + x
    np.multiply(x, _f(-2), out=x)
    return np.sqrt(x, out=x)


def _sincos(u2, s):
    """sincos256_ps of 2 pi u2: (sin, cos) in (s.s2, s.c)."""
    x, y, j, k = s.t, s.y, s.j, s.k
    x2 = x.reshape(u2.shape)
    np.multiply(_TWO_PI, u2, out=x2)
    np.multiply(x, _FOPI, out=y)
    np.copyto(j, y, casting="unsafe")                 # truncation toward zero
    np.add(j, 1, out=j)
    np.bitwise_and(j, ~1, out=j)
    np.copyto(y, j, casting="unsafe")
    # extended-precision reduction x - y (dp1 + dp2 + dp3), each step fused; y is an even
    # integer <= 8, so y dp1 and y dp2 (8 and 11 significant bits) are exact in float32 and
    # the first two fused steps are plain float32 adds; the third runs in float64
    np.multiply(y, _DP[0], out=s.z)
    np.add(x, s.z, out=x)
    np.multiply(y, _DP[1], out=s.z)
    np.add(x, s.z, out=x)
    np.copyto(s.y64, y)
    np.multiply(s.y64, _DP[2], out=s.y64)
    np.copyto(s.x64, x)
    np.add(s.y64, s.x64, out=s.y64)
    np.copyto(x, s.y64, casting="same_kind")
    np.copyto(s.x64, x)
    z = np.multiply(x, x, out=s.z)
    np.copyto(s.z64, z)
    # cos polynomial
    c = _horner(s.y64, s.z64, _COS_P, s.c)
    np.multiply(c, z, out=c)
    np.copyto(s.y64, c)
    np.multiply(s.y64, s.z64, out=s.y64)
    np.multiply(s.z64, -0.5, out=s.q64)               # exact: z / 2
    np.add(s.y64, s.q64, out=s.y64)                   # fused: (c * z) * z - z / 2
    np.copyto(c, s.y64, casting="same_kind")
    np.add(c, _f(1), out=c)
    # sin polynomial
    p = _horner(s.y64, s.z64, _SIN_P, s.p)
    np.multiply(p, z, out=p)
    np.copyto(s.y64, p)
    np.multiply(s.y64, s.x64, out=s.y64)
    np.add(s.y64, s.x64, out=s.y64)                   # fused: (p * z) * x + x
    np.copyto(p, s.y64, casting="same_kind")
    # select: sin = p where (j & 2) == 0 else c, cos the other; bitwise, branch-free
    ci, pi, sel = c.view(np.int32), p.view(np.int32), s.e
    np.bitwise_and(j, 2, out=k)
    np.subtract(k, 1, out=k)
    np.right_shift(k, 1, out=k)                       # -1 where j & 2 == 0, else 0
    np.bitwise_xor(ci, pi, out=sel)
    np.bitwise_and(sel, k, out=sel)
    sin, cos = s.s2, c
    si = sin.view(np.int32)
    np.bitwise_xor(ci, sel, out=si)                   # p where selected, else c
    np.bitwise_xor(pi, sel, out=ci)                   # c where selected, else p
    # sign bits: sin takes j & 4, cos takes ~(j - 2) & 4, at bit 31
    np.subtract(j, 2, out=k)
    np.invert(k, out=k)
    np.bitwise_and(k, 4, out=k)
    np.left_shift(k, 29, out=k)
    np.bitwise_xor(ci, k, out=ci)
    np.bitwise_and(j, 4, out=j)
    np.left_shift(j, 29, out=j)
    np.bitwise_xor(si, j, out=si)
    return sin, cos


def normal_fill_16_avx2(u, mean, std, out=None):
    """Blocks of 16 float32 uniforms (shape (k, 16)) to normals: u1 = 1 - u[:, :8],
    u2 = u[:, 8:], radius sqrt(-2 log u1), angle 2 pi u2; ``mean + std * (r cos, r sin)``.
    ``out`` may be ``u`` itself: each chunk is read whole before it is written."""
    mean, std = _f(mean), _f(std)
    k = len(u)
    out = np.empty((k, 16), np.float32) if out is None else out
    rows = max(1, _CHUNK // 8)
    s = _Scratch(min(k, rows) * 8)
    for start in range(0, k, rows):               # a loop over cache-sized chunks
        blk = u[start:start + rows]
        n = len(blk) * 8
        if n != len(s.x):
            s = _Scratch(n)
        radius = _log_radius(blk[:, :8], s)
        sin, cos = _sincos(blk[:, 8:], s)
        dst = out[start:start + rows]
        shape = (len(blk), 8)
        if std == 1 and mean == 0:
            np.multiply(cos.reshape(shape), radius.reshape(shape), out=dst[:, :8])
            np.multiply(sin.reshape(shape), radius.reshape(shape), out=dst[:, 8:])
            continue
        np.multiply(cos, radius, out=cos)
        np.multiply(sin, radius, out=sin)
        for v, half in ((cos, dst[:, :8]), (sin, dst[:, 8:])):
            np.multiply(v, std, out=s.x64, dtype=np.float64)
            np.add(s.x64, mean, out=v, casting="same_kind")       # fused: v * std + mean
            half[...] = v.reshape(shape)
    return out

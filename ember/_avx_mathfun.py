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
their operands in float64 buffers and round to float32 through a cast and back (or, where every
value of a step stays in one binade, through an exact add and subtract of a shift); multiply-adds
whose product is exact in float32 (e * q2, and the first two steps of the sincos reduction,
where y is an even integer <= 8) are plain float32 ops, which give the same bits; the sin/cos
selection and the sign flips are integer bit operations (a random mask makes ``where=`` slow).

The radius (the log) runs in plain float32 with a bracket that flags the values whose last bit
it cannot vouch for (about 4 %); those are recomputed by the exact emulation (see
``_log_radius_fast``). Every value is the same as the straightforward emulation's: checked over
all 2^24 uniforms by tests/test_rng_speedpaths.py.
"""
import math
import threading

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
_LOG_BOUND = _f(2.0 ** -22)   # see _log_radius_fast
_BLOCK = np.dtype((np.void, 32))   # eight float32


class _Scratch:
    """Buffers for one chunk of ``n`` values of each half (radius and angle)."""

    def __init__(self, n):
        f32 = lambda: np.empty(n, np.float32)          # noqa: E731
        self.x, self.m, self.ef, self.sf, self.t, self.y = (f32() for _ in range(6))
        self.z, self.c, self.p, self.s2, self.u = (f32() for _ in range(5))
        self.x64, self.y64, self.z64, self.q64 = (np.empty(n, np.float64) for _ in range(4))
        self.e, self.j, self.k = (np.empty(n, np.int32) for _ in range(3))
        self.flag = np.empty(n, bool)


_LOCAL = threading.local()


def _scratch(n):
    """This thread's chunk buffers for ``n`` values (kept between calls: a fresh set of large
    arrays costs page faults; per thread, because two threads may fill at once, and randn's
    math runs on whichever of ember's threads takes it)."""
    kept = _LOCAL.__dict__.setdefault("scratch", {})
    if n not in kept:
        if len(kept) > 2:            # a full chunk, a last one and one more size at most
            kept.clear()
        kept[n] = _Scratch(n)
    return kept[n]


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


def _binade_shift(c):
    """1.5 * 2^(e + 29) for the binade [2^e, 2^(e+1)) of |c|: a float64 value v of that binade
    plus it rounds once, at that binade's float32 spacing 2^(e - 23) (ties to even: the shift
    is an even multiple of the spacing), and subtracting it back is exact."""
    return 1.5 * 2.0 ** (math.frexp(float(c))[1] - 1 + 29)


def _horner_one_binade(y64, x64, coefs, y32):
    """``_horner`` for a chain whose every step's result stays in its coefficient's binade
    (the sin and cos polynomials, z in [0, (pi/4)^2]: checked over every input by
    tests/test_rng_speedpaths.py): a step's float32 rounding is then the add of the shift
    (folded into the coefficient, exactly) and its subtraction, with no casts."""
    np.multiply(x64, coefs[0], out=y64)
    for i, c in enumerate(coefs[1:]):
        if i:
            np.multiply(y64, x64, out=y64)              # exact: two float32 values
        shift = _binade_shift(c)
        np.add(y64, float(c) + shift, out=y64)          # c + shift is exact
        np.subtract(y64, shift, out=y64)
    np.copyto(y32, y64, casting="same_kind")            # exact: a float32 value
    return y32


def _log_reduce(u1, s):
    """log256_ps's range reduction of 1 - u1 = m 2^e: into ``s.x`` (returned) 2m - 1 where
    m < sqrt(1/2), else m - 1, and into ``s.ef`` e - 1 there, else e."""
    x, m, ef, sf, t = s.x, s.m, s.ef, s.sf, s.t
    np.subtract(_f(1), u1, out=x.reshape(u1.shape))
    np.frexp(x, out=(m, s.e))                         # x = m 2^e, m in [0.5, 1)
    np.less(m, _SQRTHF, out=sf)                       # 1.0 where m < sqrt(1/2)
    np.copyto(ef, s.e, casting="unsafe")
    np.subtract(ef, sf, out=ef)                       # e - 1 there
    np.multiply(m, sf, out=t)
    np.subtract(m, _f(1), out=x)
    np.add(x, t, out=x)                               # 2m - 1 where small, m - 1 elsewhere
    return x


def _log_radius(u1, s):
    """sqrt(-2 log(1 - u1)) as log256_ps computes the log, into ``s.x``."""
    x, ef, t = _log_reduce(u1, s), s.ef, s.t
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


def _log_radius_fast(u1, s):
    """``_log_radius`` in plain float32 operations, with a check: into ``s.x`` the radius,
    into ``s.flag`` True where it may differ from the exact emulation's (about 4 % of values,
    which the caller recomputes exactly).

    Why it is exact where unflagged: log256_ps ends with L = (x + (b - z/2)) + e q2, where
    b = a z + e q1 is fused and a = x * (the polynomial). Done in plain float32, the
    polynomial and the product a z carry rounding errors the fused chain does not, but they
    reach L only through b, and they move b by about 2^-21 (|a z| + |e q1|) at most (the
    polynomial comes out within 1 ulp of the emulation's, a within 2 ulps; add the rounding of
    a z and a flip in the rounding of b): that is beta. Every step after b is monotone in b,
    so the L given by b - beta and by b + beta bracket the exact one; where the two agree,
    that is L. The estimate errs on the safe side: beta is taken at half of it, 2^-22 (...),
    which flags half as many values (4 % instead of 8 %; the fix-up is a tenth of randn's
    time), and the proof is the check of every 24-bit uniform, the whole domain
    (tests/test_rng_speedpaths.py): no unflagged value differs; with beta halved once more,
    some would."""
    x, ef, t, y, b = _log_reduce(u1, s), s.ef, s.t, s.y, s.c
    z = np.multiply(x, x, out=s.z)
    np.multiply(x, _LOG_P[0], out=y)                  # the polynomial, unfused
    np.add(y, _LOG_P[1], out=y)
    for c in _LOG_P[2:]:
        np.multiply(y, x, out=y)
        np.add(y, c, out=y)
    np.multiply(y, x, out=y)                          # a
    np.multiply(y, z, out=y)                          # a z
    np.multiply(ef, _LOG_Q1, out=t)                   # e q1 >= 0 (e <= 0, q1 < 0)
    np.add(y, t, out=b)                               # b, rounded twice
    np.absolute(y, out=y)
    np.add(y, t, out=y)
    np.multiply(y, _LOG_BOUND, out=y)                 # beta
    np.multiply(z, _f(0.5), out=z)
    np.subtract(b, y, out=t)                          # the low end: b - beta ...
    np.add(b, y, out=b)                               # ... and the high one
    np.subtract(t, z, out=t)
    np.subtract(b, z, out=b)
    np.add(x, t, out=t)
    np.add(x, b, out=b)
    np.multiply(ef, _LOG_Q2, out=ef)                  # exact: q2 has 9 bits, e 5
    np.add(t, ef, out=t)
    np.add(b, ef, out=b)
    np.not_equal(t, b, out=s.flag)
    np.multiply(t, _f(-2), out=x)
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
    c = _horner_one_binade(s.y64, s.z64, _COS_P, s.c)
    np.multiply(c, z, out=c)
    np.copyto(s.y64, c)
    np.multiply(s.y64, s.z64, out=s.y64)
    np.multiply(s.z64, -0.5, out=s.q64)               # exact: z / 2
    np.add(s.y64, s.q64, out=s.y64)                   # fused: (c * z) * z - z / 2
    np.copyto(c, s.y64, casting="same_kind")
    np.add(c, _f(1), out=c)
    # sin polynomial
    p = _horner_one_binade(s.y64, s.z64, _SIN_P, s.p)
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
    # sign bits: sin takes j & 4, cos takes ~(j - 2) & 4 = (j + 2) & 4 (j even), at bit 31
    np.add(j, 2, out=k)
    np.bitwise_and(k, 4, out=k)
    np.left_shift(k, 29, out=k)
    np.bitwise_xor(ci, k, out=ci)
    np.bitwise_and(j, 4, out=j)
    np.left_shift(j, 29, out=j)
    np.bitwise_xor(si, j, out=si)
    return sin, cos


def _half(rows, which):
    """Column block ``which`` (0: u[:, :8], 1: u[:, 8:]) of a (k, 16) float32 array, as a
    (k,) array of 32-byte items when its rows are contiguous (a copy of whole 8-float blocks
    is several times faster than an 8-wide strided float loop), else as the float view."""
    if rows.flags.c_contiguous:
        return rows.view(_BLOCK)[:, which]
    return rows[:, 8 * which:8 * which + 8]


def _copy_half(dst, src):
    """Copy between a contiguous float32 buffer and a half as ``_half`` gives it."""
    if src.dtype == _BLOCK:
        np.copyto(dst.view(_BLOCK), src)
    elif dst.dtype == _BLOCK:
        np.copyto(dst, src.view(_BLOCK))
    else:
        np.copyto(dst.reshape(-1, 8) if dst.ndim == 1 else dst,
                  src.reshape(-1, 8) if src.ndim == 1 else src)


def _affine(v, mean, std, v64):
    """v * std + mean in place, fused (one rounding), as the kernel's final multiply-add."""
    if std == 1 and mean == 0:
        return v
    np.multiply(v, std, out=v64, dtype=np.float64)
    return np.add(v64, mean, out=v, casting="same_kind")


def chunk_rows():
    """Rows of 16 values per chunk of normal_fill_16_avx2."""
    return max(1, _CHUNK // 8)


def normal_fill_16_avx2(u, mean, std, out=None, wait=None):
    """Blocks of 16 float32 uniforms (shape (k, 16)) to normals: u1 = 1 - u[:, :8],
    u2 = u[:, 8:], radius sqrt(-2 log u1), angle 2 pi u2; ``mean + std * (r cos, r sin)``.
    ``out`` may be ``u`` itself: each chunk is read whole before it is written. ``wait``, if
    given, is called with a row count before the chunk that ends there is read (another
    thread may still be filling ``u``); chunks are ``chunk_rows()`` rows.

    The radius takes the checked float32 path (``_log_radius_fast``); the values it flags are
    collected over all chunks and recomputed by the exact emulation at the end, in one go."""
    mean, std = _f(mean), _f(std)
    k = len(u)
    out = np.empty((k, 16), np.float32) if out is None else out
    rows = chunk_rows()
    s = _scratch(min(k, rows) * 8)
    redo = []                                     # (pair index, u1, sin, cos) of flagged values
    for start in range(0, k, rows):               # a loop over cache-sized chunks
        blk = u[start:start + rows]
        if wait is not None:
            wait(start + len(blk))
        n = len(blk) * 8
        if n != len(s.x):
            s = _scratch(n)
        _copy_half(s.u, _half(blk, 0))
        radius = _log_radius_fast(s.u, s)
        idx = np.flatnonzero(s.flag)
        u1 = s.u.take(idx)
        _copy_half(s.u, _half(blk, 1))
        sin, cos = _sincos(s.u, s)
        if len(idx):
            redo.append((idx + start * 8, u1, sin.take(idx), cos.take(idx)))
        dst = out[start:start + rows]
        for v, which in ((cos, 0), (sin, 1)):
            np.multiply(v, radius, out=v)
            _copy_half(_half(dst, which), _affine(v, mean, std, s.x64))
    if redo:
        idx, u1, sin, cos = (np.concatenate(a) for a in zip(*redo))
        radius = _log_radius(u1, _Scratch(len(u1)))
        idx += (idx >> 3) << 3                    # pair i sits at 16 (i // 8) + i % 8
        v64 = np.empty(len(u1), np.float64)
        for v, off in ((cos, 0), (sin, 8)):
            np.multiply(v, radius, out=v)
            np.put(out, idx + off, _affine(v, mean, std, v64))   # (C-order flat indices)
    return out

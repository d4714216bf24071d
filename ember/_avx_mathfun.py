"""PyTorch's float32 Box-Muller block (``normal_fill_16_AVX2``) reproduced on NumPy.

On x86-64 CPUs with AVX2, ``normal_`` on a contiguous float32 tensor of 16 or more elements
runs Cephes-style polynomial ``log`` and ``sincos`` (avx_mathfun, after Julien Pommier's
sse_mathfun) on blocks of 16 uniforms. To give PyTorch's numbers bit for bit, this module runs
the same float32 operations in the same order, including the multiply-adds that the compiler
fuses (a fused multiply-add is emulated in float64, where the float32 product is exact).
The polynomial coefficients are the Cephes ones the algorithm is defined by.
"""
import math

import numpy as np

__all__ = ["normal_fill_16_avx2"]

_f = np.float32
_CHUNK = 1 << 14          # elements per pass: keeps the temporaries in cache

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


def _fma(a, b, c, out):
    """out = a * b + c with a single float32 rounding."""
    t = a.astype(np.float64)
    t *= b
    t += c
    out[...] = t
    return out


def _log(x):
    """log256_ps for x in (0, 1]."""
    xi = x.view(np.int32)
    e = (xi >> 23).astype(np.float32)
    e -= _f(126)                                  # exponent - 127 + 1
    m = ((xi & np.int32(~0x7F800000)) | np.int32(0x3F000000)).view(np.float32)  # in [0.5, 1)
    small = m < _SQRTHF
    e -= small                                    # e -= 1 where m < sqrt(1/2)
    y = m - _f(1)
    y += np.where(small, m, _f(0))                # x = 2m - 1 there, m - 1 elsewhere
    x = y
    z = x * x
    p = np.full_like(x, _LOG_P[0])
    for c in _LOG_P[1:]:
        _fma(p, x, c, p)
    p *= x
    _fma(p, z, e * _LOG_Q1, p)                    # fused: (p * x) * z + e * q1
    p -= z * _f(0.5)
    x += p
    return _fma(e, _LOG_Q2, x, x)


def _sincos(x):
    """sincos256_ps for x in [0, 2 pi)."""
    j = (x * _FOPI).astype(np.int32)
    j += 1
    j &= ~1
    y = j.astype(np.float32)
    sign_sin = (j & 4) << 29
    poly = (j & 2) == 0
    sign_cos = (~(j - 2) & 4) << 29
    for dp in _DP:                                # extended-precision reduction, fused
        _fma(y, dp, x, x)
    z = x * x
    c = np.full_like(x, _COS_P[0])
    _fma(c, z, _COS_P[1], c)
    _fma(c, z, _COS_P[2], c)
    c *= z
    _fma(c, z, -(z * _f(0.5)), c)                 # fused: (c * z) * z - z / 2
    c += _f(1)
    s = np.full_like(x, _SIN_P[0])
    _fma(s, z, _SIN_P[1], s)
    _fma(s, z, _SIN_P[2], s)
    s *= z
    _fma(s, x, x, s)
    sin = np.where(poly, s, c).view(np.int32) ^ sign_sin
    cos = np.where(poly, c, s).view(np.int32) ^ sign_cos
    return sin.view(np.float32), cos.view(np.float32)


def _block(u, mean, std, out):
    radius = _log(_f(1) - u[:, :8])
    radius *= _f(-2)
    np.sqrt(radius, out=radius)
    sin, cos = _sincos(_TWO_PI * u[:, 8:])
    cos *= radius
    sin *= radius
    if std == 1 and mean == 0:
        out[:, :8], out[:, 8:] = cos, sin
    else:
        _fma(cos, std, mean, out[:, :8])
        _fma(sin, std, mean, out[:, 8:])


def normal_fill_16_avx2(u, mean, std):
    """Blocks of 16 float32 uniforms (shape (k, 16)) to normals: u1 = 1 - u[:, :8],
    u2 = u[:, 8:], radius sqrt(-2 log u1), angle 2 pi u2; ``mean + std * (r cos, r sin)``."""
    mean, std = _f(mean), _f(std)
    out = np.empty_like(u)
    rows = max(1, _CHUNK // 16)
    for start in range(0, len(u), rows):       # a loop over cache-sized chunks, not elements
        _block(u[start:start + rows], mean, std, out[start:start + rows])
    return out

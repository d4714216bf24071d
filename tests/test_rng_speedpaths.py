"""The fast paths of the random samplers give exactly the values of the straightforward ones
(issue 12's speed bar): float32 randn's checked float32 radius with its exact fix-up, checked
over every 24-bit uniform against a plain emulation of PyTorch's AVX2 Box-Muller, and the
large draws against PyTorch itself."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import _avx_mathfun as A

_f = np.float32


# -- a plain emulation of avx_mathfun's log256_ps / sincos256_ps (the oracle) ---------------------
def _fma(a, b, c):
    """a * b + c rounded once to float32 (the float32 product is exact in float64)."""
    return (np.asarray(a, np.float64) * np.float64(b) + np.asarray(c, np.float64)).astype(_f)


def _ref_log(x):
    m, e = np.frexp(x)
    small = m < A._SQRTHF
    e = e.astype(_f) - small
    x = np.where(small, m + m - _f(1), m - _f(1)).astype(_f)
    z = x * x
    p = np.full_like(x, A._LOG_P[0])
    for c in A._LOG_P[1:]:
        p = _fma(p, x, c)
    p = _fma(p * x, z, e * A._LOG_Q1)
    p = p - z * _f(0.5)
    return _fma(e, A._LOG_Q2, x + p)


def _ref_sincos(x):
    j = (x * A._FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_f)
    for dp in A._DP:
        x = _fma(y, dp, x)
    z = x * x
    c = np.full_like(x, A._COS_P[0])
    for k in A._COS_P[1:]:
        c = _fma(c, z, k)
    c = _fma(c * z, z, -(z * _f(0.5))) + _f(1)
    s = np.full_like(x, A._SIN_P[0])
    for k in A._SIN_P[1:]:
        s = _fma(s, z, k)
    s = _fma(s * z, x, x)
    poly = (j & 2) == 0
    sin = np.where(poly, s, c).view(np.int32) ^ ((j & 4) << 29)
    cos = np.where(poly, c, s).view(np.int32) ^ ((~(j - 2) & 4) << 29)
    return sin.view(_f), cos.view(_f)


_PART = 1 << 22           # uniforms per slice of the exhaustive checks


def _uniforms(start):
    return (np.arange(start, start + _PART, dtype=np.float64) * 2.0 ** -24).astype(_f)


@pytest.fixture(scope="module")
def reference():
    """Radius, sin and cos of the oracle for every 24-bit uniform, slice by slice."""
    out = []
    for start in range(0, 1 << 24, _PART):
        u = _uniforms(start)
        radius = np.sqrt(_ref_log(_f(1) - u) * _f(-2))
        out.append((radius, *_ref_sincos(A._TWO_PI * u)))
    return out


def _bits(a):
    return a.view(np.int32)


def test_fill_is_the_oracle_for_every_uniform(reference):
    """normal_fill_16_avx2 with every 24-bit uniform as u1 and as u2 (fix-up included), and
    with a mean and std (the fused final multiply-add)."""
    for part, start in enumerate(range(0, 1 << 24, _PART)):
        u = _uniforms(start)
        radius, sin, cos = reference[part]
        blocks = np.empty((_PART // 8, 16), _f)
        blocks[:, :8] = u.reshape(-1, 8)
        blocks[:, 8:] = u.reshape(-1, 8)
        out = A.normal_fill_16_avx2(blocks, 0.0, 1.0)
        assert np.array_equal(_bits(out[:, :8].ravel()), _bits(cos * radius))
        assert np.array_equal(_bits(out[:, 8:].ravel()), _bits(sin * radius))
        if part == 1:
            out = A.normal_fill_16_avx2(blocks, -0.25, 3.0, out=blocks)   # in place
            want = _fma(sin * radius, _f(3.0), _f(-0.25))
            assert np.array_equal(_bits(out[:, 8:].ravel()), _bits(want))


def _fast_radius(u, bound=None):
    s = A._Scratch(len(u))
    if bound is not None:
        old, A._LOG_BOUND = A._LOG_BOUND, _f(bound)
    try:
        radius = A._log_radius_fast(u.copy(), s).copy()
    finally:
        if bound is not None:
            A._LOG_BOUND = old
    return radius, s.flag.copy()


def test_fast_radius_flags_every_value_it_gets_wrong(reference):
    """Unflagged values are exact; the flagged ones include values the float32 path gets
    wrong (so the exact recomputation is needed), and the bracket is as tight as it can be
    among powers of two: twice tighter, it lets wrong values through."""
    wrong_flagged = wrong_tight = flagged = 0
    for part, start in enumerate(range(0, 1 << 24, _PART)):
        u = _uniforms(start)
        want = _bits(reference[part][0])
        radius, flag = _fast_radius(u)
        wrong = _bits(radius) != want
        assert not (wrong & ~flag).any(), u[wrong & ~flag][:5]
        wrong_flagged += int(wrong.sum())
        flagged += int(flag.sum())
        radius, flag = _fast_radius(u, float(A._LOG_BOUND) / 2)
        wrong_tight += int(((_bits(radius) != want) & ~flag).sum())
    assert wrong_flagged > 1000
    assert flagged < 0.05 * (1 << 24)         # the fix-up stays a small share of the work
    assert wrong_tight > 0


def test_one_binade_horner_matches_casts():
    """The shift rounding of the sin/cos Horner chains equals rounding by casts."""
    z = np.linspace(0, (math.pi / 4 + 1e-3) ** 2, 200001).astype(_f)
    z64 = z.astype(np.float64)
    for coefs in (A._COS_P, A._SIN_P):
        a = A._horner_one_binade(np.empty_like(z64), z64, coefs, np.empty_like(z))
        b = A._horner(np.empty_like(z64), z64, coefs, np.empty_like(z))
        assert np.array_equal(_bits(a), _bits(b))


@pytest.mark.parametrize("seed", [0, 5])
@pytest.mark.parametrize("n", [10 ** 6, 10 ** 6 + 5])
def test_large_randn_is_torch_s(seed, n):
    """Large float32 draws (many chunks, many flagged values, a ragged tail) bit for bit."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    a, b = ember.randn(n).numpy(), torch.randn(n).numpy()
    assert np.array_equal(_bits(a), _bits(b))
    a = ember.empty(n // 3).normal_(0.5, 2.5).numpy()
    b = torch.empty(n // 3).normal_(0.5, 2.5).numpy()
    assert np.array_equal(_bits(a), _bits(b))
    a = ember.randn(n // 7, dtype=ember.float16).numpy()
    b = torch.randn(n // 7, dtype=torch.float16).numpy()
    assert np.array_equal(a.view(np.int16), b.view(np.int16))
    assert ember.rand(3).tolist() == torch.rand(3).tolist()


def test_fill_with_strided_input_and_output():
    """Rows that are not contiguous (in and out) take the float-view copies; same values."""
    rng = np.random.default_rng(3)
    u = (rng.integers(0, 1 << 24, (20000, 16)) * 2.0 ** -24).astype(_f)[::2]
    radius = np.sqrt(_ref_log(_f(1) - u[:, :8]) * _f(-2))
    sin, cos = _ref_sincos(A._TWO_PI * u[:, 8:])
    out = np.zeros((len(u), 32), _f)[:, ::2]
    got = A.normal_fill_16_avx2(u, 1.5, 0.5, out=out)
    assert got is out
    assert np.array_equal(_bits(out[:, :8]), _bits(_fma(cos * radius, _f(0.5), _f(1.5))))
    assert np.array_equal(_bits(out[:, 8:]), _bits(_fma(sin * radius, _f(0.5), _f(1.5))))

"""Special functions on the unary Function base: the error function family (erf, erfc, erfinv) and
the gamma family (lgamma, digamma, polygamma), logit, sinc, angle conversions and nan_to_num,
with the NumPy kernels they run on (NumPy has neither erf nor gamma functions)."""
import math

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._util import conj as _conj
from .unary import _2_SQRTPI, _Float, _float_arr, _onnx_float, _onnx_op, _wrap

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


# -- error function -----------------------------------------------------------------------
# erf(x) = 2x/sqrt(pi) e^(-x^2) sum_n (2x^2)^n / (1*3*...*(2n+1)): every term is positive, so
# the sum has no cancellation; it is used below |x| = 2. Above, erfc(x) comes from the even
# part of Laplace's continued fraction,
#   erfc(x) = 2x e^(-x^2)/sqrt(pi) / (2x^2+1 - 1*2/(2x^2+5 - 3*4/(2x^2+9 - ...))),
# evaluated bottom-up from a fixed depth. Term counts give full precision per dtype (checked
# against 40-digit references: ~5e-16 relative in float64).

def _series_coeffs(n):
    c = [1.0]
    for k in range(1, n + 1):
        c.append(c[-1] * 2 / (2 * k + 1))
    return c[::-1]   # highest power first, for Horner in x^2


# (series coefficients, fraction levels, erfc-is-zero cutoff) per result dtype. float32 results
# use float32's shorter plan evaluated in double, so rounding once at the end leaves them
# within an ulp of the true value (float32 arithmetic throughout drifted to ~6 ulp)
_ERF_PLAN = {np.dtype(np.float64): (np.array(_series_coeffs(28)), 24, 30.0),
             np.dtype(np.float32): (np.array(_series_coeffs(18)), 8, 10.0)}


def _erf_small(t, plan):
    """erf(t) for 0 <= t <= 2."""
    coeffs = plan[0]
    tt = t * t
    s = tt * coeffs[0]
    s += coeffs[1]
    for c in coeffs[2:]:
        s *= tt
        s += c
    np.negative(tt, out=tt)
    s *= np.exp(tt, out=tt)
    s *= t
    s *= _2_SQRTPI
    return s


def _erfc_big(t, plan, depth=None):
    """erfc(t) for t >= 1 (or NaN), from ``depth`` levels of the fraction (by default, as
    many as double precision needs at the smallest t)."""
    if depth is None:
        lo = np.nanmin(t) if t.size else 2.0
        depth = 80 if lo < 1.5 else 40 if lo < 2 else 26
    t = np.minimum(t, plan[2])   # erfc is 0 beyond; keeps inf out of the fraction
    z = t * t
    z *= 2
    f = z + (4 * depth + 1)
    for k in range(depth, 0, -1):
        np.divide(-(2 * k - 1) * (2 * k), f, out=f)
        f += z
        f += 4 * k - 3
    # e^(-t^2) as e^(-h^2) e^(-(t-h)(t+h)) with h = t rounded to 1/16: h^2 is exact, so the
    # result keeps its relative accuracy where t^2 is large
    h = np.round(t * 16) / 16
    e = np.exp(-(h * h))
    e *= np.exp((h - t) * (h + t))
    e *= t
    e *= _2_SQRTPI
    e /= f
    return e


def _erf_np(x, complement=False):
    """erf (or erfc) of a float array, in that array's precision (half computes in float),
    evaluated in double.

    erfc = 1 - erf would lose relative accuracy as erf nears 1, so erfc takes the fraction
    from |x| = 1 on (where it needs more levels) and always uses double's plan."""
    if x.dtype not in _ERF_PLAN:
        return _erf_np(x.astype(np.float32), complement).astype(x.dtype)
    plan = _ERF_PLAN[np.dtype(np.float64) if complement else x.dtype]
    out_dtype, x = x.dtype, x.astype(np.float64, copy=False)
    t = np.abs(x)
    split, depth = (1, None) if complement else (2, plan[1])
    small = t < split
    if small.all():
        r = _erf_small(t, plan)
        np.copysign(r, x, out=r)
        return (np.subtract(1, r, out=r) if complement else r).astype(out_dtype, copy=False)
    out = np.empty_like(t)
    big = ~small
    r, c = _erf_small(t[small], plan), _erfc_big(t[big], plan, depth)
    if complement:
        np.copysign(r, x[small], out=r)
        out[small] = np.subtract(1, r, out=r)
        out[big] = np.where(x[big] < 0, 2 - c, c)
        return out.astype(out_dtype, copy=False)
    out[small] = r
    out[big] = np.subtract(1, c, out=c)
    return np.copysign(out, x, out=out).astype(out_dtype, copy=False)


def _erfinv_np(y):
    """The inverse of erf: a closed-form first guess (Winitzki's, good to ~2e-3) refined by
    Halley steps (cubic: one for float, two for double). Near +-1 the steps solve
    erfc(x) = 1 - |y| instead, which keeps relative accuracy there."""
    out_dt, steps = y.dtype, (2 if y.dtype == np.float64 else 1)
    y = y.astype(np.float64, copy=False)
    with np.errstate(all="ignore"):
        w = np.log1p(-y * y)
        b = 2 / (math.pi * 0.147) + w / 2
        x = np.copysign(np.sqrt(np.sqrt(b * b - w / 0.147) - b), y)
        ay = np.abs(y)
        # Halley for f with f''/f' = -2x (erf's and erfc's): x -= d / (1 + x d), d = f / f'
        mid = ay <= 0.97
        if mid.any():
            xs, ys = x[mid], y[mid]
            for _ in range(steps):
                d = (_erf_np(xs) - ys) * np.exp(xs * xs) / _2_SQRTPI
                xs -= d / (1 + xs * d)
            x[mid] = xs
        tail = (ay > 0.97) & (ay < 1)
        if tail.any():
            xs, q = np.abs(x[tail]), 1 - ay[tail]          # 1 - |y| is exact here
            for _ in range(steps):
                d = (q - _erf_np(xs, complement=True)) * np.exp(xs * xs) / _2_SQRTPI
                xs -= d / (1 + xs * d)
            x[tail] = np.copysign(xs, y[tail])
    return x.astype(out_dt, copy=False)


class Erf(_Float):
    ufunc = staticmethod(_erf_np)

    # d erf(x) = 2/sqrt(pi) e^(-x^2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * ((a * -a).exp() * _2_SQRTPI)

    onnx = _onnx_op("Erf")


class Erfc(_Float):
    ufunc = staticmethod(lambda x: _erf_np(x, complement=True))

    # d erfc(x) = -2/sqrt(pi) e^(-x^2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * ((a * -a).exp() * -_2_SQRTPI)

    onnx = _onnx_float(lambda g, x: g.op("Sub", g.scalar(1, x.dtype), g.op("Erf", x)))


class Erfinv(_Float):
    ufunc, keep = staticmethod(_erfinv_np), "output"

    # d erfinv(y) = sqrt(pi)/2 e^(erfinv(y)^2)
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * ((out * out).exp() / _2_SQRTPI)


# -- gamma family, logit, sinc, angles, nan_to_num ----------------------------------------
# NumPy has no gamma functions, so they are built here in float64 (float32/16 inputs round
# once at the end). Each works on x >= some T by an asymptotic (Stirling) series in 1/x,
# reaches it from smaller x by the recurrence f(x) = f(x + 1) - step(x) applied a fixed
# number of times to the whole array (masked where x is already large), and covers negative x
# by the reflection formula, whose sin / tan / cot are taken of the fractional part of x so
# that pi x is not rounded where |x| is large.

_EULER = 0.57721566490153286061
_BERN = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
         43867 / 798, -174611 / 330]    # B_2, B_4, ..., B_20


def _zeta(k):
    """Riemann zeta at an integer k >= 2: 1000 terms and the Euler-Maclaurin tail."""
    s = float(np.sum(np.arange(1000, 0, -1, dtype=np.float64) ** -float(k)))
    n = 1001.0
    return s + n ** (1 - k) / (k - 1) + n ** -k / 2 + k * n ** (-k - 1) / 12


# lgamma(1 + z) = -gamma z + sum_k>=2 (-1)^k zeta(k) z^k / k, for |z| <= 1/4 (keeps relative
# accuracy next to lgamma's zeros at 1 and 2, where the Stirling route would cancel)
_LG1 = [-_EULER] + [(-1) ** k * _zeta(k) / k for k in range(2, 31)]
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _horner(coeffs, t):
    """sum_i coeffs[i] t^i."""
    s = np.full_like(t, coeffs[-1])
    for c in coeffs[-2::-1]:
        s *= t
        s += c
    return s


def _shift(x, limit, step):
    """Move x up to >= limit by the recurrence; returns (shifted x, sum of step(x_i))."""
    t, acc = x.copy(), np.zeros_like(x)
    for _ in range(int(math.ceil(limit))):
        small = t < limit
        if not small.any():
            break
        acc += np.where(small, step(t), 0)
        t += small
    return t, acc


def _lgamma_pos(y):
    """lgamma for y >= 0.5 (or inf / NaN)."""
    out = np.empty_like(y)
    z1, z2 = y - 1, y - 2
    s1, s2 = np.abs(z1) <= 0.25, np.abs(z2) <= 0.25
    rest = ~(s1 | s2)
    out[s1] = z1[s1] * _horner(_LG1, z1[s1])
    z = z2[s2]
    out[s2] = z * _horner(_LG1, z) + np.log1p(z)
    # Stirling at t >= 10: (t - 1/2) log t - t + log(2 pi)/2 + sum B_2k / (2k (2k-1) t^(2k-1))
    t, logs = _shift(y[rest], 10, np.log)
    r = 1 / t
    ser = r * _horner([b / (2 * k * (2 * k - 1)) for k, b in enumerate(_BERN[:8], 1)], r * r)
    out[rest] = (t - 0.5) * np.log(t) - t + _HALF_LOG_2PI + ser - logs
    out[y == np.inf] = np.inf
    return out


def _cast(out, dt):
    with np.errstate(over="ignore"):     # huge float64 results become float32's inf
        return out.astype(dt, copy=False)


def _frac(x):
    return x - np.round(x)      # exact; sin(pi x) = +-sin(pi frac(x))


def _lgamma_np(x):
    out_dt, x = x.dtype, x.astype(np.float64)
    with np.errstate(all="ignore"):
        neg = x < 0.5
        out = _lgamma_pos(np.where(neg, 1 - x, x))
        # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); inf at the poles
        xn = x[neg]
        out[neg] = np.log(math.pi / np.abs(np.sin(math.pi * _frac(xn)))) - out[neg]
        out[np.isinf(x)] = np.inf
    return _cast(out, out_dt)


def _digamma_pos(y):
    """digamma for y >= 0: recurrence to t >= 10, then log t - 1/(2t) - sum B_2k / (2k t^2k)."""
    t, acc = _shift(y, 10, lambda v: 1 / v)
    r2 = 1 / (t * t)
    ser = r2 * _horner([b / (2 * k) for k, b in enumerate(_BERN[:9], 1)], r2)
    return np.log(t) - 0.5 / t - ser - acc


def _digamma_np(x):
    out_dt, x = x.dtype, x.astype(np.float64)
    with np.errstate(all="ignore"):
        neg = x < 0
        out = _digamma_pos(np.where(neg, 1 - x, x))
        # psi(x) = psi(1 - x) - pi / tan(pi x) (PyTorch's form: tan of the fractional part)
        xn = x[neg]
        out[neg] -= math.pi / np.tan(math.pi * (xn - np.trunc(xn)))
        out[neg & (x == np.trunc(x))] = np.nan      # poles (and -inf)
        zero = x == 0
        out[zero] = np.copysign(np.inf, -x[zero])
    return _cast(out, out_dt)


def _cot_derivs(n):
    """Coefficients (lowest first) of P with d^n/du^n cot(u) = P(cot u): P' = -(1 + c^2) P."""
    p = np.polynomial.polynomial
    c = np.array([0.0, 1.0])
    for _ in range(n):
        c = p.polymul(-np.array([1.0, 0.0, 1.0]), p.polyder(c))
    return c


def _polygamma_pos(n, y):
    """psi_n(y) for y >= 0.5, n >= 1: recurrence to t >= 20, then
    (-1)^(n+1) [(n-1)!/t^n + n!/(2 t^(n+1)) + sum B_2k (2k+n-1)! / ((2k)! t^(2k+n))]."""
    fact = math.factorial(n)
    t, acc = _shift(y, 20, lambda v: v ** -(n + 1.0))
    r = 1 / t
    coeffs = [b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
              for k, b in enumerate(_BERN, 1)]
    ser = r ** n * (math.factorial(n - 1) + fact * r / 2 + r * r * _horner(coeffs, r * r))
    return (-1) ** (n + 1) * (ser + fact * acc)


def _polygamma_np(n, x):
    if n == 0:
        return _digamma_np(x)
    out_dt, x = x.dtype, x.astype(np.float64)
    with np.errstate(all="ignore"):
        neg = x < 0.5
        out = _polygamma_pos(n, np.where(neg, 1 - x, x))
        xn = x[neg]
        # psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) cot^(n)(pi x)
        if n == 1:      # pi^2 / sin^2(pi x), with PyTorch's unreduced pi x (finite "poles")
            out[neg] = math.pi ** 2 / np.sin(math.pi * xn) ** 2 - out[neg]
        else:
            u = math.pi * _frac(xn)
            cot = np.cos(u) / np.sin(u)
            out[neg] = (-1) ** n * out[neg] - math.pi ** (n + 1) * _horner(_cot_derivs(n), cot)
            pole = (x <= 0) & (x == np.floor(x))    # PyTorch: +-inf at poles and -inf
            out[pole] = (-1) ** (n + 1) * np.inf
            out[x == np.inf] = np.nan
    return _cast(out, out_dt)


def _no_complex(a, kernel):
    if a.dtype.category == D._COMPLEX:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{a.dtype._short}'")


class Lgamma(_Float):
    ufunc = staticmethod(_lgamma_np)

    # d lgamma(x) = digamma(x)
    @classmethod
    def forward(cls, ctx, a):
        _no_complex(a, "lgamma_vml_cpu")
        return super().forward(ctx, a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * Digamma.apply(a)


class Digamma(_Float):
    ufunc = staticmethod(_digamma_np)

    # d digamma(x) = polygamma(1, x)
    @classmethod
    def forward(cls, ctx, a):
        _no_complex(a, "digamma")
        return super().forward(ctx, a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * Polygamma.apply(a, 1)


class Polygamma(Function):
    _builtin = True

    # d polygamma(n, x) = polygamma(n + 1, x)
    @staticmethod
    def forward(ctx, a, n):
        _no_complex(a, "polygamma")
        ctx.save_for_backward(a)
        ctx.n = n
        x = _float_arr(a)
        return _polygamma_np(n, x.reshape(-1)).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * Polygamma.apply(a, ctx.n + 1), None


class Logit(Function):
    _builtin = True

    # d log(x / (1 - x)) = 1 / (x (1 - x)); with eps, 0 outside [eps, 1 - eps]; without,
    # NaN outside [0, 1] (as PyTorch's logit_backward)
    @staticmethod
    def forward(ctx, a, eps):
        x = _float_arr(a)
        if eps is not None:
            x = np.clip(x, eps, 1 - eps)
        ctx.save_for_backward(a)
        ctx.eps = eps
        with np.errstate(all="ignore"):
            return np.log(x / (1 - x))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        eps = ctx.eps
        d = g / (a * (1 - a))
        if eps is None:
            return d.masked_fill((a < 0) | (a > 1), math.nan), None
        return d.masked_fill((a < eps) | (a > 1 - eps), 0.0), None


def _sinc_np(x):
    y = x * math.pi
    out = np.sin(y)
    out /= y
    out[x == 0] = 1
    return out


class Sinc(_Float):
    ufunc = staticmethod(_sinc_np)

    # d sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, 0 at x = 0
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        d = ((a * math.pi).cos() - Sinc.apply(a)) / a
        return g * _conj(d.masked_fill(a == 0, 0.0))


class Deg2Rad(_Float):
    ufunc, keep, quiet = np.deg2rad, None, True

    # d x pi / 180 = pi / 180
    @staticmethod
    def backward(ctx, g):
        return g * (math.pi / 180)


class Rad2Deg(_Float):
    ufunc, keep, quiet = np.rad2deg, None, True

    # d x 180 / pi = 180 / pi
    @staticmethod
    def backward(ctx, g):
        return g * (180 / math.pi)


class NanToNum(Function):
    _ctx_arrays = ('replaced',)   # freed with the saved tensors
    _builtin = True

    # the gradient passes where x is finite, 0 where it was replaced
    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        x = a._data
        if x.dtype.kind not in "fc":
            return x.copy()
        fin = np.finfo(x.dtype)
        if ctx.needs_input_grad[0]:
            ctx.replaced = _wrap(~np.isfinite(x))
        with np.errstate(over="ignore"):
            return np.nan_to_num(x, nan=nan, posinf=fin.max if posinf is None else posinf,
                                 neginf=fin.min if neginf is None else neginf)

    @staticmethod
    def backward(ctx, g):
        return g.masked_fill(ctx.replaced, 0.0), None, None, None

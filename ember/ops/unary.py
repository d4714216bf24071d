"""Elementwise functions of one tensor: exp/log family, trig, activations, erf, rounding, clamp."""
import math

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._util import check_tensor, float_dtype, zero_where
from ._util import conj as _conj

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos",
           "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
           "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid", "relu",
           "erf", "erfc", "erfinv", "reciprocal", "abs", "absolute", "sign", "sgn", "floor",
           "ceil", "round", "trunc", "fix", "frac", "clamp", "clip", "clamp_min", "clamp_max",
           "lgamma", "digamma", "polygamma", "logit", "sinc", "deg2rad", "rad2deg", "signbit",
           "nan_to_num", "UnaryMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)


def _wrap(arr):
    return _tensor.Tensor._wrap(arr)


def _zeros(g):
    """The gradient of a piecewise-constant op: zeros, unconnected to the graph (as PyTorch's
    zeros_like(grad), so an inf or NaN upstream does not leak through as NaN)."""
    return _wrap(np.zeros_like(g._data))


def _float_arr(a):
    """The input's array in the dtype a floating op computes in (ints become the default)."""
    x = a._data
    dt = float_dtype(D._FROM_NP[x.dtype])
    return x if x.dtype == dt.np else x.astype(dt.np)


def _onnx_float(build):
    """The ONNX mapping of a floating op: ``build(g, x)`` on the input cast to the op's float
    dtype (ints compute in the default float dtype, as the forward does)."""
    def onnx(graph, ctx, a):
        return build(graph, graph.cast(a, graph.out[0].dtype))
    return staticmethod(onnx)


def _onnx_op(op_type):
    return _onnx_float(lambda g, x: g.op(op_type, x))


class _Float(Function):
    """A floating op of one tensor via a NumPy ufunc; ints and bools compute in the default
    float dtype. ``keep`` names what backward needs: the input, the output or nothing."""

    _builtin = True
    ufunc = None
    keep = "input"
    quiet = False   # True where NumPy never warns (saves entering np.errstate)

    @classmethod
    def forward(cls, ctx, a):
        x, fn = _float_arr(a), cls.ufunc
        if not (x.ndim or isinstance(fn, np.ufunc)):
            # our own kernels work in place, which a NumPy scalar (0-d result) cannot
            x, fn = x.reshape(1), lambda v, f=fn: f(v).reshape(())
        if cls.quiet:
            out = fn(x)
        else:
            with np.errstate(all="ignore"):
                out = fn(x)
        if cls.keep == "output":
            out = _wrap(out)
            ctx.save_for_backward(out)
        elif cls.keep == "input":
            ctx.save_for_backward(a)
        return out


# -- exponentials and logarithms ----------------------------------------------------------

class Exp(_Float):
    ufunc, keep = np.exp, "output"

    # d exp(x) = exp(x)
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * _conj(out)

    onnx = _onnx_op("Exp")


class Exp2(_Float):
    ufunc, keep = np.exp2, "output"

    # d 2^x = 2^x ln 2
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (_conj(out) * _LN2)

    onnx = _onnx_float(lambda g, x: g.op("Pow", g.scalar(2, x.dtype), x))


class Expm1(_Float):
    ufunc, keep = np.expm1, "output"

    # d (e^x - 1) = e^x = out + 1
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (_conj(out) + 1)

    onnx = _onnx_float(lambda g, x: g.op("Sub", g.op("Exp", x), g.scalar(1, x.dtype)))


class Log(_Float):
    ufunc = np.log

    # d log(x) = 1/x
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / _conj(a)

    onnx = _onnx_op("Log")


class Log2(_Float):
    ufunc = np.log2

    # d log2(x) = 1 / (x ln 2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (_conj(a) * _LN2)

    onnx = _onnx_float(lambda g, x: g.op("Div", g.op("Log", x), g.scalar(_LN2, x.dtype)))


class Log10(_Float):
    ufunc = np.log10

    # d log10(x) = 1 / (x ln 10)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (_conj(a) * _LN10)

    onnx = _onnx_float(lambda g, x: g.op("Div", g.op("Log", x), g.scalar(_LN10, x.dtype)))


class Log1P(_Float):
    ufunc = np.log1p

    # d log(1 + x) = 1 / (1 + x)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (_conj(a) + 1)

    onnx = _onnx_float(lambda g, x: g.op("Log", g.op("Add", x, g.scalar(1, x.dtype))))


class Sqrt(_Float):
    ufunc, keep = np.sqrt, "output"

    # d sqrt(x) = 1 / (2 sqrt(x))
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (_conj(out) * 2)

    onnx = _onnx_op("Sqrt")


def _rsqrt(x):
    out = np.sqrt(x)
    return np.reciprocal(out, out=out)


class Rsqrt(_Float):
    ufunc, keep = staticmethod(_rsqrt), "output"

    # d x^(-1/2) = -x^(-3/2) / 2 = -out^3 / 2
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return (g * -0.5) * _conj(out) ** 3

    onnx = _onnx_float(lambda g, x: g.op("Reciprocal", g.op("Sqrt", x)))


class Reciprocal(_Float):
    ufunc, keep = np.reciprocal, "output"

    # d 1/x = -1/x^2 = -out^2
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * -_conj(out * out)

    onnx = _onnx_op("Reciprocal")


# -- trigonometric and hyperbolic ---------------------------------------------------------

class Sin(_Float):
    ufunc = np.sin

    # d sin(x) = cos(x)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _conj(a.cos())

    onnx = _onnx_op("Sin")


class Cos(_Float):
    ufunc = np.cos

    # d cos(x) = -sin(x)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * -_conj(a.sin())

    onnx = _onnx_op("Cos")


class Tan(_Float):
    ufunc, keep = np.tan, "output"

    # d tan(x) = 1 + tan(x)^2
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * _conj(out * out + 1)

    onnx = _onnx_op("Tan")


class Asin(_Float):
    ufunc = np.arcsin

    # d asin(x) = 1 / sqrt(1 - x^2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _conj((1 - a * a).rsqrt())

    onnx = _onnx_op("Asin")


class Acos(_Float):
    ufunc = np.arccos

    # d acos(x) = -1 / sqrt(1 - x^2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * _conj((1 - a * a).rsqrt())

    onnx = _onnx_op("Acos")


class Atan(_Float):
    ufunc = np.arctan
    quiet = True

    # d atan(x) = 1 / (1 + x^2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / _conj(a * a + 1)

    onnx = _onnx_op("Atan")


class Sinh(_Float):
    ufunc = np.sinh

    # d sinh(x) = cosh(x)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _conj(a.cosh())

    onnx = _onnx_op("Sinh")


class Cosh(_Float):
    ufunc = np.cosh

    # d cosh(x) = sinh(x)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _conj(a.sinh())

    onnx = _onnx_op("Cosh")


class Tanh(_Float):
    ufunc, keep = np.tanh, "output"
    quiet = True

    # d tanh(x) = 1 - tanh(x)^2
    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        if t._data.dtype.kind == "c":   # the fused kernel is for real dtypes
            return g * (1 - t * t).conj()
        return TanhBackward.apply(g, t)

    onnx = _onnx_op("Tanh")


class TanhBackward(Function):
    """g (1 - t^2) in one pass and one new array (PyTorch's tanh_backward): tanh's backward
    runs in every recurrent step, so it is fused; its own gradient keeps it differentiable."""

    _builtin = True

    # d/dg = 1 - t^2, d/dt = -2 g t
    @staticmethod
    def forward(ctx, g, t):
        ctx.save_for_backward(g, t)
        x = t._data
        out = np.multiply(x, x, out=np.empty_like(x))   # an array even when 0-d
        np.subtract(1, out, out=out)
        out *= g._data
        return out

    @staticmethod
    def backward(ctx, gg):
        g, t = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (TanhBackward.apply(gg, t) if need[0] else None,
                gg * g * t * -2 if need[1] else None)


class Asinh(_Float):
    ufunc = np.arcsinh
    quiet = True

    # d asinh(x) = 1 / sqrt(x^2 + 1)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _conj((a * a + 1).rsqrt())

    onnx = _onnx_op("Asinh")


class Acosh(_Float):
    ufunc = np.arccosh

    # d acosh(x) = 1 / sqrt(x^2 - 1); complex: 1 / (sqrt(x - 1) sqrt(x + 1)), the principal
    # branch's derivative (the one-root form flips sign where Re x < 0)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if a._data.dtype.kind == "c":
            return g * ((a - 1).rsqrt() * (a + 1).rsqrt()).conj()
        return g * (a * a - 1).rsqrt()

    onnx = _onnx_op("Acosh")


class Atanh(_Float):
    ufunc = np.arctanh

    # d atanh(x) = 1 / (1 - x^2)
    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / _conj(1 - a * a)

    onnx = _onnx_op("Atanh")


# -- activations --------------------------------------------------------------------------

def _sigmoid(x):
    # 1 / (1 + e^-x) is accurate everywhere; e^-x overflowing to inf just gives 0
    out = np.negative(x)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class Sigmoid(_Float):
    ufunc, keep = staticmethod(_sigmoid), "output"

    # d sigmoid(x) = s (1 - s)
    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        if s._data.dtype.kind == "c":   # the fused kernel is for real dtypes
            return g * (s * (1 - s)).conj()
        return SigmoidBackward.apply(g, s)

    onnx = _onnx_op("Sigmoid")


class SigmoidBackward(Function):
    """g s (1 - s) in one new array (PyTorch's sigmoid_backward), fused like TanhBackward."""

    _builtin = True

    # d/dg = s (1 - s), d/ds = g (1 - 2 s)
    @staticmethod
    def forward(ctx, g, s):
        ctx.save_for_backward(g, s)
        x = s._data
        out = np.subtract(1, x, out=np.empty_like(x))
        out *= x
        out *= g._data
        return out

    @staticmethod
    def backward(ctx, gg):
        g, s = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (SigmoidBackward.apply(gg, s) if need[0] else None,
                gg * g * (1 - 2 * s) if need[1] else None)


class Relu(Function):
    _builtin = True

    # d relu(x) = 1 where relu(x) > 0 (the mask is a constant: its own gradient is zero)
    @staticmethod
    def forward(ctx, a):
        if a.dtype is D.bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        out = _wrap(np.maximum(a._data, 0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return ThresholdBackward.apply(g, out)

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Relu", a)


class ThresholdBackward(Function):
    """g where out > 0, else 0: relu's gradient as one node. Linear in g with a constant mask,
    so its own gradient is itself (and none flows to ``out``)."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, out):
        ctx.save_for_backward(out)
        return zero_where(g._data, out._data <= 0)

    @staticmethod
    def backward(ctx, gg):
        (out,) = ctx.saved_tensors
        return ThresholdBackward.apply(gg, out), None


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


# -- abs, sign, rounding ------------------------------------------------------------------

class Abs(Function):
    _builtin = True

    # d |x| = sign(x), a constant for real x; for complex z the gradient is g z/|z|, which
    # depends on z (so it goes through sgn, whose own gradient gives the second order)
    @staticmethod
    def forward(ctx, a):
        if a.dtype is D.bool:
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        ctx.save_for_backward(a)
        return np.abs(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if a._data.dtype.kind == "c":
            return g * a.sgn()
        return g * _wrap(np.sign(a._data))

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Abs", a)


class _Step(Function):
    """A piecewise-constant op: zero gradient. Integer inputs come back as a copy."""

    _builtin = True
    ufunc = None
    bool_error = None

    @classmethod
    def forward(cls, ctx, a):
        x = a._data
        if x.dtype == np.bool_ and cls.bool_error:
            raise NotImplementedError(f"\"{cls.bool_error}\" not implemented for 'Bool'")
        if x.dtype.kind in "iub":
            return x.copy()
        return cls.ufunc(x)

    @staticmethod
    def backward(ctx, g):
        return _zeros(g)

    @classmethod
    def onnx(cls, graph, ctx, a):
        if a.dtype.kind in "iub":
            return graph.op("Identity", a)
        if cls.__name__ == "Trunc":    # ONNX has no Trunc: sign(x) floor(|x|)
            return graph.op("Mul", graph.op("Sign", a), graph.op("Floor", graph.op("Abs", a)))
        return graph.op({"Floor": "Floor", "Ceil": "Ceil", "Round": "Round"}[cls.__name__], a)


class Sign(_Step):
    ufunc = np.sign

    # real: zero gradient; complex sgn(z) = z/|z| is not holomorphic: its gradient is
    # (g - sgn^2 conj(g)) / (2|z|), 0 at z = 0 (PyTorch's sgn_backward)
    @classmethod
    def forward(cls, ctx, a):
        x = a._data
        if x.dtype.kind == "c":
            ctx.save_for_backward(a)
        return x.copy() if x.dtype == np.bool_ else np.sign(x)

    @staticmethod
    def backward(ctx, g):
        if g._data.dtype.kind != "c":
            return _zeros(g)
        (a,) = ctx.saved_tensors
        s, r = a.sgn(), a.abs()
        d = (g - s * s * g.conj()) / (2 * r)
        return d.masked_fill(r == 0, 0.0)

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Identity", a) if a.dtype.kind == "b" else graph.op("Sign", a)


class Floor(_Step):
    ufunc, bool_error = np.floor, "floor_vml_cpu"


class Ceil(_Step):
    ufunc, bool_error = np.ceil, "ceil_vml_cpu"


class Trunc(_Step):
    ufunc, bool_error = np.trunc, "trunc_vml_cpu"


class Round(_Step):
    ufunc, bool_error = np.rint, "round_vml_cpu"   # halves to even, as PyTorch


class RoundDecimals(Function):
    _builtin = True

    # piecewise constant: zero gradient
    @staticmethod
    def forward(ctx, a, decimals):
        x = a._data
        if x.dtype.kind in "iub":
            raise NotImplementedError(f"\"round_cpu\" not implemented for '{a.dtype._short}'")
        # PyTorch's order of operations: scale, round half to even, unscale
        with np.errstate(all="ignore"):
            if decimals > 0:
                p = x.dtype.type(10.0 ** decimals)
                return np.rint(x * p) / p
            p = x.dtype.type(10.0 ** -decimals)
            return np.rint(x / p) * p

    @staticmethod
    def backward(ctx, g):
        return _zeros(g), None

    def name(self):
        return "RoundBackward1"

    @staticmethod
    def onnx(graph, ctx, a, decimals):
        p = graph.scalar(10.0 ** abs(decimals), a.dtype)
        if decimals > 0:
            return graph.op("Div", graph.op("Round", graph.op("Mul", a, p)), p)
        return graph.op("Mul", graph.op("Round", graph.op("Div", a, p)), p)


class Frac(Function):
    _builtin = True

    # d (x - trunc(x)) = 1
    @staticmethod
    def forward(ctx, a):
        x = a._data
        if x.dtype.kind in "iub":
            raise NotImplementedError(f"\"frac_cpu\" not implemented for '{a.dtype._short}'")
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Sub", a, graph.op("Mul", graph.op("Sign", a), graph.op("Floor", graph.op("Abs", a))))


# -- clamp --------------------------------------------------------------------------------

class Clamp(Function):
    """clamp(x, lo, hi) = min(max(x, lo), hi), with number or tensor bounds (either may be None).

    Gradients as PyTorch: to x where lo <= x <= hi; to lo where x < lo < hi; to hi where x > hi
    or hi < lo (NaN anywhere gives none). The masks are computed in forward, only for the
    inputs that need a gradient, and kept as bool tensors of places where the gradient is 0."""
    _ctx_arrays = ('zero_hi', 'zero_lo', 'zero_x')   # freed with the saved tensors

    _builtin = True
    _node = "ClampBackward0"

    @classmethod
    def forward(cls, ctx, a, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x = a._data
        dt = a.dtype
        number = (int, float)
        if not (dt.category == D._FLOAT and lo.__class__ in number + (type(None),)
                and hi.__class__ in number + (type(None),)):
            dt = D.result_type_of([a] + [b for b in (lo, hi) if b is not None])
            if x.dtype != dt.np:
                x = x.astype(dt.np)
        lo_a, hi_a = _bound(lo, dt), _bound(hi, dt)
        try:
            # one bound: a single ufunc call is cheaper than np.clip's Python wrapper
            out = np.maximum(x, lo_a) if hi is None else np.minimum(x, hi_a) if lo is None \
                else np.clip(x, lo_a, hi_a)
        except ValueError:
            from ._util import broadcast_error
            raise broadcast_error(*(np.shape(v) for v in (x, lo_a, hi_a) if v is not None)) \
                from None
        need = ctx.needs_input_grad
        if need[0]:
            if isinstance(lo, _tensor.Tensor) or isinstance(hi, _tensor.Tensor):
                inside = np.ones(out.shape, bool)
                if lo is not None:
                    inside &= x >= lo_a
                if hi is not None:
                    inside &= x <= hi_a
                ctx.zero_x = _wrap(np.logical_not(inside, out=inside))
            elif lo is not None and hi is not None and not lo <= hi:
                ctx.zero_x = _wrap(np.ones(out.shape, bool))
            else:   # number bounds: x passes through exactly where it is inside (NaN is not)
                ctx.zero_x = _wrap(np.asarray(out != x))
        if need[1] and lo is not None:
            to_lo = x < lo_a
            if hi is not None:
                to_lo = to_lo & (lo_a < hi_a)
            ctx.zero_lo = _wrap(np.logical_not(np.broadcast_to(to_lo, out.shape)))
        if need[2] and hi is not None:
            to_hi = x > hi_a
            if lo is not None:
                to_hi = to_hi | (hi_a < lo_a)
            ctx.zero_hi = _wrap(np.logical_not(np.broadcast_to(to_hi, out.shape)))
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (g.masked_fill(ctx.zero_x, 0) if need[0] else None,
                g.masked_fill(ctx.zero_lo, 0) if need[1] else None,
                g.masked_fill(ctx.zero_hi, 0) if need[2] else None)

    def name(self):
        return self._node

    @staticmethod
    def onnx(graph, ctx, a, lo, hi):
        dt = graph.out[0].dtype
        x = graph.cast(a, dt)
        if not isinstance(lo, str) and not isinstance(hi, str):
            return graph.op("Clip", x, None if lo is None else graph.scalar(lo, dt),
                        None if hi is None else graph.scalar(hi, dt))
        # tensor bounds broadcast: max then min (hi wins where hi < lo, as the forward)
        if lo is not None:
            x = graph.op("Max", x, graph.operand(lo, dt))
        if hi is not None:
            x = graph.op("Min", x, graph.operand(hi, dt))
        return x


class ClampScalar(Clamp):
    _node = "ClampBackward1"


class ClampMin(Clamp):
    _node = "ClampMinBackward0"


class ClampMinTensor(Clamp):
    _node = "ClampMinBackward1"


class ClampMax(Clamp):
    _node = "ClampMaxBackward0"


class ClampMaxTensor(Clamp):
    _node = "ClampMaxBackward1"


def _bound(b, dt):
    if b is None:
        return None
    if isinstance(b, _tensor.Tensor):
        return b._data if b._data.dtype == dt.np else b._data.astype(dt.np)
    if dt.category == D._INT and isinstance(b, int):
        info = np.iinfo(dt.np)
        if not info.min <= b <= info.max:
            ctype = "int" if dt is D.int32 else dt.name + "_t"
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
    return b


def _clamp_op(lo, hi):
    return Clamp if isinstance(lo, _tensor.Tensor) or isinstance(hi, _tensor.Tensor) \
        else ClampScalar


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


# -- functions and methods ----------------------------------------------------------------

def _function(op, name):
    def f(input, *, out=None):
        check_tensor(input, name)
        r = op.apply(input)
        if out is None:
            return r
        from .arith import _out
        return _out(r, out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``torch.{name}``: elementwise, differentiable."
    return f


exp, exp2, expm1 = _function(Exp, "exp"), _function(Exp2, "exp2"), _function(Expm1, "expm1")
log, log2, log10 = _function(Log, "log"), _function(Log2, "log2"), _function(Log10, "log10")
log1p, sqrt, rsqrt = _function(Log1P, "log1p"), _function(Sqrt, "sqrt"), _function(Rsqrt, "rsqrt")
sin, cos, tan = _function(Sin, "sin"), _function(Cos, "cos"), _function(Tan, "tan")
asin, acos, atan = _function(Asin, "asin"), _function(Acos, "acos"), _function(Atan, "atan")
arcsin, arccos, arctan = asin, acos, atan
sinh, cosh, tanh = _function(Sinh, "sinh"), _function(Cosh, "cosh"), _function(Tanh, "tanh")
asinh, acosh = _function(Asinh, "asinh"), _function(Acosh, "acosh")
atanh = _function(Atanh, "atanh")
arcsinh, arccosh, arctanh = asinh, acosh, atanh
sigmoid, relu = _function(Sigmoid, "sigmoid"), _function(Relu, "relu")
erf, erfc, erfinv = _function(Erf, "erf"), _function(Erfc, "erfc"), _function(Erfinv, "erfinv")
reciprocal = _function(Reciprocal, "reciprocal")
abs = absolute = _function(Abs, "abs")  # noqa: A001 - PyTorch's name
sign, sgn = _function(Sign, "sign"), _function(Sign, "sgn")
floor, ceil = _function(Floor, "floor"), _function(Ceil, "ceil")
trunc = fix = _function(Trunc, "trunc")
frac = _function(Frac, "frac")


def round(input, *, decimals=0, out=None):  # noqa: A001 - PyTorch's name
    check_tensor(input, "round")
    r = Round.apply(input) if decimals == 0 else RoundDecimals.apply(input, int(decimals))
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - PyTorch's argument names
    check_tensor(input, "clamp")
    r = _clamp_op(min, max).apply(input, min, max)
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    check_tensor(input, "clamp_min")
    return (ClampMinTensor if isinstance(min, _tensor.Tensor) else ClampMin).apply(input, min, None)


def clamp_max(input, max):  # noqa: A002
    check_tensor(input, "clamp_max")
    return (ClampMaxTensor if isinstance(max, _tensor.Tensor) else ClampMax).apply(input, None, max)


lgamma, digamma = _function(Lgamma, "lgamma"), _function(Digamma, "digamma")
sinc = _function(Sinc, "sinc")
deg2rad, rad2deg = _function(Deg2Rad, "deg2rad"), _function(Rad2Deg, "rad2deg")


def _check_n(n):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


def polygamma(n, input, *, out=None):
    """``torch.polygamma``: the n-th derivative of digamma (n >= 0), elementwise."""
    n = _check_n(n)
    check_tensor(input, "polygamma", "input")
    r = Polygamma.apply(input, n)
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


def logit(input, eps=None, *, out=None):
    """``torch.logit``: log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given."""
    check_tensor(input, "logit")
    r = Logit.apply(input, None if eps is None else float(eps))
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


def signbit(input, *, out=None):
    """``torch.signbit``: True where the sign bit is set (-0.0 included); not differentiable."""
    check_tensor(input, "signbit")
    x = input._data
    if x.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    r = _wrap(np.signbit(x) if x.dtype.kind == "f" else
              np.less(x, 0) if x.dtype.kind == "i" else np.zeros(x.shape, bool))
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """``torch.nan_to_num``: NaN, +inf, -inf replaced (infs by the dtype's extremes unless
    given); the gradient is 0 at the replaced places."""
    check_tensor(input, "nan_to_num")
    r = NanToNum.apply(input, nan, posinf, neginf)
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


def _methods(op):
    def m(self):
        return op.apply(self)

    def m_(self):
        return self._inplace(op)
    return m, m_


class UnaryMethods:
    __slots__ = ()

    exp, exp_ = _methods(Exp)
    exp2, exp2_ = _methods(Exp2)
    expm1, expm1_ = _methods(Expm1)
    log, log_ = _methods(Log)
    log2, log2_ = _methods(Log2)
    log10, log10_ = _methods(Log10)
    log1p, log1p_ = _methods(Log1P)
    sqrt, sqrt_ = _methods(Sqrt)
    rsqrt, rsqrt_ = _methods(Rsqrt)
    sin, sin_ = _methods(Sin)
    cos, cos_ = _methods(Cos)
    tan, tan_ = _methods(Tan)
    asin, asin_ = arcsin, arcsin_ = _methods(Asin)
    acos, acos_ = arccos, arccos_ = _methods(Acos)
    atan, atan_ = arctan, arctan_ = _methods(Atan)
    sinh, sinh_ = _methods(Sinh)
    cosh, cosh_ = _methods(Cosh)
    tanh, tanh_ = _methods(Tanh)
    asinh, asinh_ = arcsinh, arcsinh_ = _methods(Asinh)
    acosh, acosh_ = arccosh, arccosh_ = _methods(Acosh)
    atanh, atanh_ = arctanh, arctanh_ = _methods(Atanh)
    sigmoid, sigmoid_ = _methods(Sigmoid)
    relu, relu_ = _methods(Relu)
    erf, erf_ = _methods(Erf)
    erfc, erfc_ = _methods(Erfc)
    erfinv, erfinv_ = _methods(Erfinv)
    reciprocal, reciprocal_ = _methods(Reciprocal)
    abs, abs_ = absolute, absolute_ = _methods(Abs)
    __abs__ = abs
    sign, sign_ = sgn, sgn_ = _methods(Sign)
    floor, floor_ = _methods(Floor)
    ceil, ceil_ = _methods(Ceil)
    trunc, trunc_ = fix, fix_ = _methods(Trunc)
    frac, frac_ = _methods(Frac)

    lgamma, lgamma_ = _methods(Lgamma)
    digamma, digamma_ = _methods(Digamma)
    sinc, sinc_ = _methods(Sinc)
    deg2rad, deg2rad_ = _methods(Deg2Rad)
    rad2deg, rad2deg_ = _methods(Rad2Deg)

    def polygamma(self, n):
        return polygamma(n, self)

    def polygamma_(self, n):
        return self._inplace(Polygamma, _check_n(n))

    def logit(self, eps=None):
        return logit(self, eps)

    def logit_(self, eps=None):
        return self._inplace(Logit, None if eps is None else float(eps))

    def signbit(self):
        return signbit(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace(NanToNum, nan, posinf, neginf)

    def round(self, *, decimals=0):
        return Round.apply(self) if decimals == 0 else RoundDecimals.apply(self, int(decimals))

    def round_(self, *, decimals=0):
        return self._inplace(Round) if decimals == 0 else \
            self._inplace(RoundDecimals, int(decimals))

    def clamp(self, min=None, max=None):  # noqa: A002
        return _clamp_op(min, max).apply(self, min, max)

    clip = clamp

    def clamp_(self, min=None, max=None):  # noqa: A002
        return self._inplace(_clamp_op(min, max), min, max)

    clip_ = clamp_

    def clamp_min(self, min):  # noqa: A002
        return clamp_min(self, min)

    def clamp_min_(self, min):  # noqa: A002
        return self._inplace(ClampMinTensor if isinstance(min, _tensor.Tensor) else ClampMin,
                             min, None)

    def clamp_max(self, max):  # noqa: A002
        return clamp_max(self, max)

    def clamp_max_(self, max):  # noqa: A002
        return self._inplace(ClampMaxTensor if isinstance(max, _tensor.Tensor) else ClampMax,
                             None, max)

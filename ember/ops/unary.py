"""Elementwise functions of one tensor: exp/log family, trig, activations, erf, rounding, clamp."""
import math

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from . import _parallel
from ._number import index
from ._util import _zero_of, check_tensor, float_dtype, quiet, zero_where
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
        out = fn(x) if cls.quiet else quiet(fn, x)
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
        d = a._data
        # (a small array against a cached 0-d zero: NumPy takes it faster than the Python 0)
        if d.size < 4096:
            out = np.maximum(d, _zero_of(d.dtype) if d.__class__ is np.ndarray else 0)
        elif d.__class__ is np.ndarray and d.flags.c_contiguous:
            out = np.empty_like(d)
            _parallel.over_batch(np, d, lambda b0, b1: _max0(d[b0:b1], out[b0:b1]))
        else:   # against a zeros array NumPy's max runs its SIMD loop
            out = np.maximum(d, np.zeros_like(d))
        out = _wrap(out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return ThresholdBackward.apply(g, out)

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Relu", a)


_ZERO_ROW = 4096
_SPLIT_BYTES = _parallel.MIN_BYTES
_ZERO_ROWS = {}


def _max0(src, dst):
    """dst = max(src, 0) for C-contiguous arrays, as rows of _ZERO_ROW values against one cached
    row of zeros: NumPy's SIMD loop (three times its loop against a scalar 0), without zeros
    the size of ``src`` to allocate and fill (2.5 times faster than against np.zeros_like)."""
    f, o = src.reshape(-1), dst.reshape(-1)
    k = f.size - f.size % _ZERO_ROW
    z = _ZERO_ROWS.get(src.dtype)
    if z is None:
        z = _ZERO_ROWS[src.dtype] = np.zeros(_ZERO_ROW, src.dtype)
        z.setflags(write=False)
    np.maximum(f[:k].reshape(-1, _ZERO_ROW), z, out=o[:k].reshape(-1, _ZERO_ROW))
    if k < f.size:
        np.maximum(f[k:], _zero_of(src.dtype), out=o[k:])


class ThresholdBackward(Function):
    """g where out > 0, else 0: relu's gradient as one node. Linear in g with a constant mask,
    so its own gradient is itself (and none flows to ``out``)."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, out):
        ctx.save_for_backward(out)
        gd, od = g._data, out._data
        # (isinstance: ember.compile's recording arrays take the same path, so that the layout
        # handed on, and the sums of the ops below, stay eager's)
        if gd.ndim in (4, 5) and gd.strides != od.strides and isinstance(gd, np.ndarray):
            # g channels-last (a convolution's input gradient) and out NCHW: work in g's
            # memory order, where g's passes are contiguous, and lay out only the one-byte
            # mask across layouts (a quarter of the bytes a float copy would move)
            from .memory_format import _cl_order
            order = _cl_order(gd.ndim)
            gv = gd.transpose(order)
            if gv.flags.c_contiguous and od.flags.c_contiguous:
                back = tuple(order.index(d) for d in range(gd.ndim))
                res = np.empty(gv.shape, gd.dtype)

                def part(b0, b1):
                    mask = np.empty(gv[b0:b1].shape, bool)
                    mask[...] = (od[b0:b1] <= 0).transpose(order)
                    zero_where(gv[b0:b1], mask, out=res[b0:b1])
                _parallel.over_batch(np, res, part)
                return res.transpose(back)
        # (against a 0-d zero of its dtype: NumPy's fast comparison path)
        zero = _zero_of(od.dtype) if od.__class__ is np.ndarray else 0
        if gd.__class__ is np.ndarray and gd.nbytes >= _SPLIT_BYTES and gd.shape == od.shape \
                and _parallel.threads(np, gd.nbytes) > 1:
            res = np.empty_like(gd)
            _parallel.over_batch(np, gd, lambda b0, b1: zero_where(
                gd[b0:b1], od[b0:b1] <= zero, out=res[b0:b1]))
            return res
        return zero_where(gd, od <= zero)

    @staticmethod
    def backward(ctx, gg):
        (out,) = ctx.saved_tensors
        return ThresholdBackward.apply(gg, out), None


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


# the families that live in their own files (imported here, below the base they build on)
from .trig import (  # noqa: E402, I001
    Acos, Acosh, Asin, Asinh, Atan, Atanh, Cos, Cosh, Sin, Sinh, Tan, Tanh)
from .trig import TanhBackward  # noqa: E402, F401 - rnn.py uses it
from .clamp import ClampMax, ClampMaxTensor, ClampMin, ClampMinTensor, _clamp_op  # noqa: E402
from .special_functions import (  # noqa: E402, I001
    Deg2Rad, Digamma, Erf, Erfc, Erfinv, Lgamma, Logit, NanToNum, Polygamma, Rad2Deg, Sinc)
from .special_functions import _erf_np  # noqa: E402, F401 - activation.py's gelu uses it

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
    n = index(n) if isinstance(n, _tensor.Tensor) and n.dtype.category <= D._INT else n
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

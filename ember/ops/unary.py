"""Elementwise functions of one tensor: exp, log, trig, activations, rounding, clamp."""
import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._util import float_dtype

__all__ = ["exp", "log", "relu", "sigmoid", "tanh", "sqrt", "abs", "clamp", "clip",
           "UnaryMethods"]


def _float_arr(a):
    """The input's array in the dtype a floating op computes in (ints become the default)."""
    dt = float_dtype(a.dtype)
    return a._data if a.dtype is dt else a._data.astype(dt.np)


class Exp(Function):
    _builtin = True

    # d exp(x) = exp(x)
    @staticmethod
    def forward(ctx, a):
        out = a._wrap(np.exp(_float_arr(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    _builtin = True

    # d log(x) = 1/x
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Relu(Function):
    _builtin = True

    # d relu(x) = 1 where x > 0
    @staticmethod
    def forward(ctx, a):
        out = a._wrap(np.maximum(a._data, 0) if a.dtype is not D.bool else a._data.copy())
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Sigmoid(Function):
    _builtin = True

    # d sigmoid(x) = s (1 - s)
    @staticmethod
    def forward(ctx, a):
        x = _float_arr(a)
        with np.errstate(over="ignore"):
            out = a._wrap(np.exp(-np.logaddexp(0, -x)).astype(x.dtype))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * s * (1 - s)


class Tanh(Function):
    _builtin = True

    # d tanh(x) = 1 - tanh(x)^2
    @staticmethod
    def forward(ctx, a):
        out = a._wrap(np.tanh(_float_arr(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        return g * (1 - t * t)


class Sqrt(Function):
    _builtin = True

    # d sqrt(x) = 1 / (2 sqrt(x))
    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):
            out = a._wrap(np.sqrt(_float_arr(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g / (2 * s)


class Abs(Function):
    _builtin = True

    # d |x| = sign(x)
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.sign()


class Sign(Function):
    _builtin = True

    # sign is piecewise constant: zero gradient
    @staticmethod
    def forward(ctx, a):
        return np.sign(a._data) if a.dtype is not D.bool else a._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Clamp(Function):
    _builtin = True

    # d clamp(x, lo, hi) = 1 inside [lo, hi]; the bound that is active gets the gradient
    @staticmethod
    def forward(ctx, a, lo, hi):
        from ._util import arr
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x = a._data
        out = x
        lo_a, hi_a = arr(lo), arr(hi)
        dt = a.dtype
        for b in (lo, hi):
            if b is not None:
                from ._util import result_dtype
                dt = result_dtype(a if dt is a.dtype else a._wrap(x.astype(dt.np)), b)
        if dt is not a.dtype:
            out = x = x.astype(dt.np)
        if lo is not None:
            out = np.maximum(out, lo_a)
        if hi is not None:
            out = np.minimum(out, hi_a)
        if out is x:
            out = x.copy()
        ctx.save_for_backward(a, lo if hasattr(lo, "_data") else None,
                              hi if hasattr(hi, "_data") else None)
        ctx.bounds = (lo, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        a, lo_t, hi_t = ctx.saved_tensors
        lo, hi = ctx.bounds
        lo = lo_t if lo_t is not None else lo
        hi = hi_t if hi_t is not None else hi
        inside = a == a
        if lo is not None:
            inside = inside & (a >= lo)
        if hi is not None:
            inside = inside & (a <= hi)
        ga = g * inside
        glo = ghi = None
        if lo_t is not None and ctx.needs_input_grad[1]:
            glo = g * (a < lo_t)
            if hi is not None:
                glo = glo * (lo_t <= hi)
        if hi_t is not None and ctx.needs_input_grad[2]:
            ghi = g * ((a > hi_t) | ((lo if lo is not None else hi_t) > hi_t))
        return ga, glo, ghi


def exp(input):
    return Exp.apply(input)


def log(input):
    return Log.apply(input)


def relu(input):
    return Relu.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def tanh(input):
    return Tanh.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def abs(input):  # noqa: A001 - PyTorch's name
    return Abs.apply(input)


def sign(input):
    return Sign.apply(input)


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    return Clamp.apply(input, min, max)


clip = clamp


class UnaryMethods:
    __slots__ = ()

    def exp(self):
        return Exp.apply(self)

    def exp_(self):
        return self._inplace(Exp)

    def log(self):
        return Log.apply(self)

    def log_(self):
        return self._inplace(Log)

    def relu(self):
        return Relu.apply(self)

    def relu_(self):
        return self._inplace(Relu)

    def sigmoid(self):
        return Sigmoid.apply(self)

    def sigmoid_(self):
        return self._inplace(Sigmoid)

    def tanh(self):
        return Tanh.apply(self)

    def tanh_(self):
        return self._inplace(Tanh)

    def sqrt(self):
        return Sqrt.apply(self)

    def sqrt_(self):
        return self._inplace(Sqrt)

    def abs(self):
        return Abs.apply(self)

    __abs__ = abs

    def abs_(self):
        return self._inplace(Abs)

    def sign(self):
        return Sign.apply(self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return Clamp.apply(self, min, max)

    clip = clamp

    def clamp_(self, min=None, max=None):  # noqa: A002
        return self._inplace(Clamp, min, max)

    clip_ = clamp_

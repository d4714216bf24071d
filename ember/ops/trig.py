"""Trigonometric and hyperbolic functions (sin ... atanh) on the unary Function base, with tanh's
fused gradient node."""
import numpy as np

from ..autograd.function import Function
from ._util import conj as _conj
from .unary import _Float, _onnx_op

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


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

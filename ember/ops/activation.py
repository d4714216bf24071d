"""Activation Functions with their own kernels: softmax / log_softmax along a dim, and the
pointwise nonlinearities of torch.nn (GELU, SiLU, Mish, Softplus, the ELU family, LeakyReLU,
Hardtanh, Hardsigmoid, Hardswish, Threshold, LogSigmoid, the shrinks, PReLU).

A pointwise op is one class giving f, f' (both NumPy, on float arrays) and f'' (ember ops, on
a Tensor). Its backward is one fused node, g * f'(x), whose own backward is g * f''(x) * gg:
first-order training pays one NumPy pass per op and double backward still works."""
import math

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._util import canon_dim, quiet
from .unary import _erf_np, _sigmoid

__all__ = ["softmax", "log_softmax", "selu", "selu_", "celu", "celu_", "prelu", "threshold",
           "threshold_", "hardshrink", "ActivationMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)      # GELU's tanh form: tanh(K (x + C x^3))
_C = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _wrap(arr):
    return _tensor.Tensor._wrap(arr)


def _check_float(a, kernel):
    if a.dtype.category < D._FLOAT:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{a.dtype._short}'")


def _run(fn, x, p):
    """``fn(x, *p)`` on an array of at least one dim (kernels may work in place), NumPy's
    overflow warnings silenced (inf in a branch that np.where drops is expected)."""
    if x.ndim == 0:
        return _run(fn, x.reshape(1), p).reshape(())
    return quiet(fn, x, *p)


def _const(mask, like):
    """A 0/1 (or scaled) mask as a constant Tensor in ``like``'s dtype."""
    return _wrap(mask.astype(like.dtype))


class _Pointwise(Function):
    """y = f(x; params). Subclasses define ``f`` and ``df`` (NumPy, on a float array, returning
    a new array) and ``d2`` (ember ops on the input Tensor; None: f is piecewise linear)."""

    _builtin = True
    kernel = None   # PyTorch's kernel name for the error on integer inputs (None: ints allowed)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "f" in cls.__dict__:
            # the fused backward node: <Name>Backward, whose own node prints <Name>BackwardBackward0
            cls.Grad = type(cls.__name__ + "Backward", (_PointwiseGrad,),
                            {"op": cls, "__module__": cls.__module__})

    @classmethod
    def forward(cls, ctx, a, *p):
        if cls.kernel is not None:
            _check_float(a, cls.kernel)
        ctx.p = p
        ctx.save_for_backward(a)
        return _run(cls.f, a._data, p)

    @classmethod
    def backward(cls, ctx, g):
        (a,) = ctx.saved_tensors
        return (cls.Grad.apply(g, a, *ctx.p),) + (None,) * len(ctx.p)

    @staticmethod
    def d2(a, *p):
        return None


class _PointwiseGrad(Function):
    """g * f'(x) in one pass; d/dg is itself, d/dx is g f''(x)."""

    _builtin = True
    op = None

    @classmethod
    def forward(cls, ctx, g, a, *p):
        ctx.p = p
        ctx.save_for_backward(g, a)
        d = _run(cls.op.df, a._data, p)
        gd = g._data
        if d.shape == gd.shape and d.dtype == gd.dtype and d.ndim:
            d *= gd
            return d
        return d * gd

    @classmethod
    def backward(cls, ctx, gg):
        g, a = ctx.saved_tensors
        need, p = ctx.needs_input_grad, ctx.p
        ga = None
        if need[1]:
            d2 = cls.op.d2(a, *p)
            ga = None if d2 is None else gg * g * d2
        return (cls.apply(gg, a, *p) if need[0] else None, ga) + (None,) * len(p)


# -- smooth activations -------------------------------------------------------------------

class Gelu(_Pointwise):
    """x Phi(x) (approximate='none', Phi through erf) or its tanh form."""

    kernel = "GeluKernelImpl"

    @staticmethod
    def f(x, approximate):
        if approximate == "tanh":
            t = np.tanh(_K * (x + _C * (x * x * x)))
            t += 1
            t *= x
            t *= 0.5
            return t
        e = _erf_np(x * x.dtype.type(_SQRT1_2))
        e += 1
        e *= x
        e *= 0.5
        return e

    # none: Phi(x) + x phi(x); tanh: (1 + t)/2 + x (1 - t^2) u'/2 with u = K (x + C x^3)
    @staticmethod
    def df(x, approximate):
        if approximate == "tanh":
            x2 = x * x
            t = np.tanh(_K * (x + _C * x2 * x))
            du = _K * (1 + 3 * _C * x2)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        cdf = 0.5 * (1 + _erf_np(x * x.dtype.type(_SQRT1_2)))
        cdf += x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return cdf

    # none: phi(x) (2 - x^2); tanh: (1 - t^2)(u' - x t u'^2 + x u''/2)
    @staticmethod
    def d2(a, approximate):
        a2 = a * a
        if approximate == "tanh":
            t = ((a + a * a2 * _C) * _K).tanh()
            du = (a2 * (3 * _C) + 1) * _K
            return (1 - t * t) * (du - a * t * du * du + a2 * (3 * _K * _C))
        return (a2 * -0.5).exp() * _INV_SQRT_2PI * (2 - a2)

    # x Phi(x) through Erf (ONNX's Gelu op is opset 20), or the tanh form
    @staticmethod
    def onnx(graph, ctx, a, approximate):
        dt = a.dtype
        half = graph.op("Mul", a, graph.scalar(0.5, dt))
        if approximate == "tanh":
            cube = graph.op("Mul", graph.op("Mul", a, a), a)
            inner = graph.op("Add", a, graph.op("Mul", cube, graph.scalar(_C, dt)))
            t = graph.op("Tanh", graph.op("Mul", inner, graph.scalar(_K, dt)))
        else:
            t = graph.op("Erf", graph.op("Mul", a, graph.scalar(_SQRT1_2, dt)))
        return graph.op("Mul", half, graph.op("Add", t, graph.scalar(1.0, dt)))


class Silu(_Pointwise):
    kernel = "silu_cpu"

    @staticmethod
    def f(x):
        s = _sigmoid(x)
        s *= x
        return s

    # d x s(x) = s (1 + x (1 - s))
    @staticmethod
    def df(x):
        s = _sigmoid(x)
        return s * (1 + x * (1 - s))

    # s (1 - s) (2 + x (1 - 2 s))
    @staticmethod
    def d2(a):
        s = a.sigmoid()
        return s * (1 - s) * (2 + a * (1 - 2 * s))

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Mul", a, graph.op("Sigmoid", a))


class Mish(_Pointwise):
    """x tanh(softplus(x)); softplus as logaddexp(0, x), which never overflows."""

    kernel = "mish_cpu"

    @staticmethod
    def f(x):
        t = np.tanh(np.logaddexp(0, x))
        t *= x
        return t

    # t + x s (1 - t^2), t = tanh(softplus(x)), s = sigmoid(x)
    @staticmethod
    def df(x):
        t = np.tanh(np.logaddexp(0, x))
        return t + x * _sigmoid(x) * (1 - t * t)

    # (1 - t^2) s (2 + x (1 - s - 2 t s))
    @staticmethod
    def d2(a):
        t = Softplus.apply(a, 1.0, 20.0).tanh()
        s = a.sigmoid()
        return (1 - t * t) * s * (2 + a * (1 - s - 2 * t * s))

    @staticmethod
    def onnx(graph, ctx, a):
        if graph.opset >= 18:
            return graph.op("Mish", a)
        return graph.op("Mul", a, graph.op("Tanh", graph.op("Softplus", a)))


class Softplus(_Pointwise):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""

    kernel = "softplus_cpu"

    @staticmethod
    def f(x, beta, threshold):
        bx = x * beta
        return np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta)

    # sigmoid(beta x), 1 above the threshold
    @staticmethod
    def df(x, beta, threshold):
        bx = x * beta
        return np.where(bx > threshold, x.dtype.type(1), _sigmoid(bx))

    @staticmethod
    def d2(a, beta, threshold):
        ba = a * beta
        s = ba.sigmoid()
        return (s * (1 - s) * beta).masked_fill(_wrap(ba._data > threshold), 0)

    @staticmethod
    def onnx(graph, ctx, a, beta, threshold):
        dt = a.dtype
        bx = a if beta == 1 else graph.op("Mul", a, graph.scalar(beta, dt))
        y = graph.op("Softplus", bx)
        if beta != 1:
            y = graph.op("Div", y, graph.scalar(beta, dt))
        return graph.op("Where", graph.op("Greater", bx, graph.scalar(threshold, dt)), a, y)


class LogSigmoid(_Pointwise):
    kernel = "log_sigmoid_cpu"

    @staticmethod
    def f(x):
        # min(x, 0) - log(1 + e^-|x|): no overflow on either side
        out = np.minimum(x, 0)
        out -= np.log1p(np.exp(-np.abs(x)))
        return out

    # d log s(x) = 1 - s(x) = s(-x)
    @staticmethod
    def df(x):
        return _sigmoid(-x)

    @staticmethod
    def d2(a):
        s = a.sigmoid()
        return s * (s - 1)

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Neg", graph.op("Softplus", graph.op("Neg", a)))


class Elu(_Pointwise):
    """scale * (x if x > 0 else alpha (e^(input_scale x) - 1)): ELU, SELU and CELU."""

    kernel = "elu_cpu"

    @staticmethod
    def f(x, alpha, scale, input_scale):
        neg = np.expm1(x * input_scale)
        neg *= alpha * scale
        return np.where(x <= 0, neg, x * scale)

    # scale alpha input_scale e^(input_scale x) for x <= 0, else scale
    @staticmethod
    def df(x, alpha, scale, input_scale):
        neg = np.exp(x * input_scale)
        neg *= alpha * scale * input_scale
        return np.where(x <= 0, neg, x.dtype.type(scale))

    @staticmethod
    def d2(a, alpha, scale, input_scale):
        return ((a * input_scale).exp() * (alpha * scale * input_scale * input_scale)) \
            .masked_fill(_wrap(a._data > 0), 0)

    @staticmethod
    def onnx(graph, ctx, a, alpha, scale, input_scale):
        if scale == 1 and input_scale == 1:
            return graph.op("Elu", a, alpha=float(alpha))
        if input_scale == 1 and abs(alpha - SELU_ALPHA) < 1e-12 and abs(scale - SELU_SCALE) < 1e-12:
            return graph.op("Selu", a, alpha=float(alpha), gamma=float(scale))
        dt = a.dtype
        neg = graph.op("Exp", graph.op("Mul", a, graph.scalar(input_scale, dt)))
        neg = graph.op("Sub", neg, graph.scalar(1, dt))
        neg = graph.op("Mul", neg, graph.scalar(alpha * scale, dt))
        return graph.op("Where", graph.op("LessOrEqual", a, graph.scalar(0, dt)), neg,
                    graph.op("Mul", a, graph.scalar(scale, dt)))


class Celu(Elu):
    pass


# -- piecewise linear ---------------------------------------------------------------------

class LeakyRelu(_Pointwise):
    kernel = "leaky_relu_cpu"

    @staticmethod
    def f(x, slope):
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def df(x, slope):
        t = x.dtype.type
        return np.where(x > 0, t(1), t(slope))

    @staticmethod
    def onnx(graph, ctx, a, slope):
        return graph.op("LeakyRelu", a, alpha=float(slope))


class Hardtanh(_Pointwise):
    """clip(x, min_val, max_val); the gradient is 0 at the bounds themselves (as PyTorch)."""

    @staticmethod
    def f(x, lo, hi):
        t = x.dtype.type
        return np.minimum(np.maximum(x, t(lo)), t(hi))

    @staticmethod
    def df(x, lo, hi):
        return ((x > lo) & (x < hi)).astype(x.dtype)

    @staticmethod
    def onnx(graph, ctx, a, lo, hi):
        return graph.op("Clip", a, graph.scalar(lo, a.dtype), graph.scalar(hi, a.dtype))


class Hardsigmoid(_Pointwise):
    kernel = "hardsigmoid_cpu"

    @staticmethod
    def f(x):
        out = x + 3
        np.clip(out, 0, 6, out=out)
        out /= 6
        return out

    # 1/6 inside (-3, 3): PyTorch's constant is the float 1/6 in every dtype, so ours too
    @staticmethod
    def df(x):
        return ((x > -3) & (x < 3)) * x.dtype.type(np.float32(1) / np.float32(6))

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("HardSigmoid", a, alpha=1.0 / 6, beta=0.5)


class Hardswish(_Pointwise):
    kernel = "hardswish_cpu"

    @staticmethod
    def f(x):
        out = x + 3
        np.clip(out, 0, 6, out=out)
        out *= x
        out /= 6
        return out

    # 0 up to -3, x/3 + 1/2 inside (-3, 3), 1 from 3 on
    @staticmethod
    def df(x):
        return np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, x.dtype.type(1)))

    @staticmethod
    def d2(a):
        x = a._data
        return _const(((x > -3) & (x < 3)) / 3, x)

    @staticmethod
    def onnx(graph, ctx, a):
        if graph.opset < 14:
            return graph.op("Mul", a, graph.op("HardSigmoid", a, alpha=1.0 / 6, beta=0.5))
        return graph.op("HardSwish", a)


class Threshold(_Pointwise):
    @staticmethod
    def f(x, threshold, value):
        return np.where(x > threshold, x, x.dtype.type(value))

    @staticmethod
    def df(x, threshold, value):
        return (x > threshold).astype(x.dtype)

    @staticmethod
    def onnx(graph, ctx, a, threshold, value):
        return graph.op("Where", graph.op("Greater", a, graph.scalar(threshold, a.dtype)), a,
                    graph.scalar(value, a.dtype))


class Hardshrink(_Pointwise):
    kernel = "hardshrink_cpu"

    @staticmethod
    def f(x, lambd):
        return np.where((x >= -lambd) & (x <= lambd), 0, x)

    @staticmethod
    def df(x, lambd):
        return ((x < -lambd) | (x > lambd)).astype(x.dtype)

    @staticmethod
    def onnx(graph, ctx, a, lambd):
        return graph.op("Shrink", a, lambd=float(lambd), bias=0.0)


class Softshrink(_Pointwise):
    kernel = "softshrink_check"

    @staticmethod
    def f(x, lambd):
        return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0))

    @staticmethod
    def df(x, lambd):
        return ((x < -lambd) | (x > lambd)).astype(x.dtype)

    @staticmethod
    def onnx(graph, ctx, a, lambd):
        return graph.op("Shrink", a, lambd=float(lambd), bias=float(lambd))


class PreluKernel(Function):
    """x if x > 0 else w x, ``w`` already shaped to broadcast over the channel dim."""

    _builtin = True

    # d/dx = 1 or w; d/dw = x where x <= 0
    @staticmethod
    def forward(ctx, a, w):
        _check_float(a, "prelu_cpu")
        x = a._data
        ctx.save_for_backward(a, w)
        return np.where(x > 0, x, x * w._data)

    @staticmethod
    def backward(ctx, g):
        a, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        pos = _wrap(a._data > 0)
        from .gather import Where
        return (Where.apply(pos, g, g * w) if need[0] else None,
                (g * a).masked_fill(pos, 0) if need[1] else None)

    @staticmethod
    def onnx(graph, ctx, a, w):
        return graph.op("PRelu", a, w)


# -- softmax, log_softmax -----------------------------------------------------------------

def _kernel_error(a, dim, name):
    last = "lastdim_" if dim == max(a._data.ndim, 1) - 1 else ""
    _check_float(a, f"{name}_{last}kernel_impl")


def _softmax_np(x, d):
    if x.size == 0:
        return np.empty_like(x)
    # shift by the max so exp cannot overflow
    e = x - x.max(axis=d, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=d, keepdims=True)
    return e


def _log_softmax_np(x, d):
    if x.size == 0:
        return np.empty_like(x)
    s = x - x.max(axis=d, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=d, keepdims=True))
    return s


class Softmax(Function):
    _builtin = True

    # d softmax = y (g - sum(g y))
    @staticmethod
    def forward(ctx, a, dim):
        _kernel_error(a, dim, "softmax")
        ctx.dim = dim
        with np.errstate(invalid="ignore"):
            y = _wrap(_run(_softmax_np, a._data, (dim,)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxBackward.apply(g, y, ctx.dim), None

    @staticmethod
    def onnx(graph, ctx, a, dim):
        return graph.op("Softmax", a, axis=dim)


class SoftmaxBackward(Function):
    """y (g - sum(g y)) in one pass: linear in g (its Jacobian is symmetric, so d/dg is itself),
    and d/dy = gg (g - sum(g y)) - g sum(gg y)."""

    _builtin = True

    @staticmethod
    def forward(ctx, g, y, dim):
        ctx.dim = dim
        ctx.save_for_backward(g, y)
        yd = y._data
        if yd.ndim == 0:
            return np.zeros_like(yd)
        gy = g._data * yd
        s = gy.sum(axis=dim, keepdims=True)
        gy -= yd * s
        return gy

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d, need = ctx.dim, ctx.needs_input_grad
        gy = None
        if need[1]:
            if y._data.ndim == 0:
                gy = gg * 0
            else:
                gy = gg * (g - (g * y).sum(d, keepdim=True)) - g * (gg * y).sum(d, keepdim=True)
        return SoftmaxBackward.apply(gg, y, d) if need[0] else None, gy, None


class LogSoftmax(Function):
    _builtin = True

    # d log_softmax = g - exp(y) sum(g)
    @staticmethod
    def forward(ctx, a, dim):
        _kernel_error(a, dim, "log_softmax")
        ctx.dim = dim
        with np.errstate(invalid="ignore", divide="ignore"):
            y = _wrap(_run(_log_softmax_np, a._data, (dim,)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return LogSoftmaxBackward.apply(g, y, ctx.dim), None

    @staticmethod
    def onnx(graph, ctx, a, dim):
        return graph.op("LogSoftmax", a, axis=dim)


class LogSoftmaxBackward(Function):
    """g - e^y sum(g) in one pass; d/dg = gg - sum(gg e^y), d/dy = -gg e^y sum(g)."""

    _builtin = True

    @staticmethod
    def forward(ctx, g, y, dim):
        ctx.dim = dim
        ctx.save_for_backward(g, y)
        yd = y._data
        if yd.ndim == 0:
            return np.zeros_like(yd)
        out = np.exp(yd)
        out *= g._data.sum(axis=dim, keepdims=True)
        np.subtract(g._data, out, out=out)
        return out

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d, need = ctx.dim, ctx.needs_input_grad
        if y._data.ndim == 0:
            return gg * 0 if need[0] else None, gg * 0 if need[1] else None, None
        e = y.exp()
        gge = gg * e
        return (gg - gge.sum(d, keepdim=True) if need[0] else None,
                -gge * g.sum(d, keepdim=True) if need[1] else None, None)


# -- torch-level functions and Tensor methods ---------------------------------------------

def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


def softmax(input, dim, dtype=None):
    input = _cast(input, dtype)
    return Softmax.apply(input, canon_dim(dim, input.dim()))


def log_softmax(input, dim, dtype=None):
    input = _cast(input, dtype)
    return LogSoftmax.apply(input, canon_dim(dim, input.dim()))


def selu(input):
    return Elu.apply(input, SELU_ALPHA, SELU_SCALE, 1.0)


def selu_(input):
    return input._inplace(Elu, SELU_ALPHA, SELU_SCALE, 1.0)


def _celu_args(alpha):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return alpha, 1.0, 1.0 / alpha


def celu(input, alpha=1.0):
    return Celu.apply(input, *_celu_args(alpha))


def celu_(input, alpha=1.0):
    return input._inplace(Celu, *_celu_args(alpha))


def prelu(input, weight):
    """PReLU with one weight, or one per channel (dim 1; an input below 2-d has 1 channel)."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.dim() >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
    if weight.dim() == 1 and input.dim() >= 2:
        weight = weight.reshape((n,) + (1,) * (input.dim() - 2))
    elif weight.dim() == 1 and input.dim() < 1:
        weight = weight.reshape(())
    return PreluKernel.apply(input, weight)


def threshold(input, threshold, value):
    return Threshold.apply(input, threshold, value)


def threshold_(input, threshold, value):
    return input._inplace(Threshold, threshold, value)


def hardshrink(input, lambd=0.5):
    return Hardshrink.apply(input, lambd)


class ActivationMethods:
    """Tensor methods for this family (softmax, log_softmax, the shrinks …)."""

    __slots__ = ()

    def softmax(self, dim, dtype=None):
        return softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return log_softmax(self, dim, dtype)

    def hardshrink(self, lambd=0.5):
        return Hardshrink.apply(self, lambd)

    def prelu(self, weight):
        return prelu(self, weight)

"""Reductions over dims: sum, mean, prod, var/std, max/min, amax/amin, argmax/argmin, logsumexp,
norm, cumsum/cumprod, all/any, count_nonzero, nansum/nanmean."""
import builtins
import warnings

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._accumulate import accurate_sum
from ._number import index, number
from ._util import canon_dims, check_tensor, quiet
from ._util import conj as _conj
from .broadcast import Expand

__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "var", "std", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp", "norm", "cumsum",
           "cumprod", "all", "any", "count_nonzero", "dist", "cummax", "cummin", "logcumsumexp",
           "diff", "aminmax", "cov", "corrcoef", "ReduceMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

_T = _tensor  # Tensor is looked up at call time (this module is imported while _tensor loads)


def _const(arr):
    return _T.Tensor._wrap(arr)


def _dims(dim, ndim, empty_is_all=True):
    """canon_dims, with an empty tuple/list meaning every dim (as PyTorch's sum, amax …) and
    dim 0 / -1 of a 0-d tensor meaning no dim at all."""
    if dim is None:   # the common call, t.sum()
        return tuple(range(ndim))
    if isinstance(dim, _T.Tensor):
        dim = index(dim)
    if empty_is_all and dim is not None and not isinstance(dim, (int, np.integer)) and \
            len(dim) == 0:
        dim = None
    dims = canon_dims(dim, ndim)
    return dims if ndim else ()


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _numel(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _unreduce(g, in_shape, dims, keepdim):
    """A reduced tensor reshaped so that it broadcasts against the input (no node if it does
    already: keepdim, or a 0-d result)."""
    if keepdim or g._data.ndim == 0:
        return g
    kept = _kept_shape(in_shape, dims)
    return g if g._data.shape == kept else g.reshape(kept)


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    g = _unreduce(g, in_shape, dims, keepdim)
    return g if g._data.shape == in_shape else Expand.apply(g, in_shape)


def _acc_array(a, dtype):
    """The input's array in the dtype a sum-like op works in: ``dtype`` if given, else int64
    for integer and bool inputs (as PyTorch), else its own."""
    x = a._data
    if dtype is not None:
        npdt = D.to_dtype(dtype).np
        return x if x.dtype == npdt else x.astype(npdt)
    if a.dtype.category < D._FLOAT and x.dtype != np.int64:
        return x.astype(np.int64)
    return x


def _acc(fn, x, **kw):
    """``x.fn(**kw)`` (a reduction or scan method, or a NumPy function), float16 accumulated
    in float32 as PyTorch does on the CPU."""
    call = getattr(x, fn) if fn.__class__ is str else lambda **k: fn(x, **k)
    if x.dtype == np.float16:
        return call(dtype=np.float32, **kw).astype(np.float16)
    return call(**kw)


def _cast(out, dt):
    """``out`` (an array, or the NumPy scalar a full reduction gives) as an array of dtype
    ``dt`` (NumPy 1.x also turns float32 scalars into float64)."""
    if isinstance(out, np.generic):
        return np.asarray(out, dtype=dt)
    return out if out.dtype == dt else out.astype(dt)


def _as(out, x):
    return _cast(out, x.dtype)


def _empty_reduction_check(op, x, dims, full):
    """PyTorch's errors for max/min/amax/… over nothing (there is no identity to return)."""
    if x.size:
        return
    if full:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == "
                           "0. Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


# -- sum, mean, nansum, nanmean ------------------------------------------------------------
class Sum(Function):
    _builtin = True

    # d sum = 1, broadcast back over the summed dims
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        dims = _dims(dim, a._data.ndim)
        ctx.meta = (a._data.shape, dims, keepdim)
        return accurate_sum(_acc_array(a, dtype), dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        return _expand_back(g, shape, dims, keepdim), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim=None, keepdim=False, dtype=None):
        shape, dims, keep = ctx.meta
        x = graph.cast(a, graph.out[0].dtype)
        return graph.reduce("ReduceSum", x, dims, keep) if shape else graph.op("Identity", x)


def _float_only(dt, op):
    if dt.category < D._FLOAT:
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {dt._short}")


def _mean_np(x, dims, keepdim, n):
    if n:
        return _as(accurate_sum(x, dims, keepdim) / n, x)
    return x.sum(axis=dims, keepdims=keepdim) * np.nan   # NaN, as PyTorch's mean over nothing


class Mean(Function):
    _builtin = True

    # d mean = 1/n, broadcast back over the averaged dims
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        dt = D.to_dtype(dtype) if dtype is not None else a.dtype
        _float_only(dt, "mean")
        dims = _dims(dim, a._data.ndim)
        ctx.meta = (a._data.shape, dims, keepdim)
        n = ctx.n = _numel(a._data.shape, dims)
        x = a._data if dt is a.dtype else a._data.astype(dt.np)
        return quiet(_mean_np, x, dims, keepdim, n)

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        if ctx.n != 1:
            g = g / ctx.n
        return _expand_back(g, shape, dims, keepdim), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim=None, keepdim=False, dtype=None):
        shape, dims, keep = ctx.meta
        x = graph.cast(a, graph.out[0].dtype)
        if not shape:
            return graph.op("Identity", x)
        if keep and len(shape) >= 3 and tuple(dims) == tuple(range(2, len(shape))):
            return graph.op("GlobalAveragePool", x)     # the mean over all spatial dims
        return graph.reduce("ReduceMean", x, dims, keep)


class Nansum(Function):
    _builtin = True

    # d nansum = 1 where the input is not NaN
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        dims = _dims(dim, a._data.ndim)
        ctx.meta = (a._data.shape, dims, keepdim)
        ctx.save_for_backward(a)
        return _acc(np.nansum, _acc_array(a, dtype), axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        shape, dims, keepdim = ctx.meta
        # a product, not masked_fill: an infinite g gives NaN at NaN places, as PyTorch
        g = _unreduce(g, shape, dims, keepdim)
        return g * _const(~np.isnan(a._data)), None, None, None


class Nanmean(Function):
    _builtin = True

    # d nanmean = 1/(count of non-NaN) where the input is not NaN
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        dt = D.to_dtype(dtype) if dtype is not None else a.dtype
        if dt.category < D._FLOAT:
            raise RuntimeError("nanmean(): expected input to have floating point or complex "
                               f"dtype but got {dt._short}")
        dims = _dims(dim, a._data.ndim)
        ctx.meta = (a._data.shape, dims, keepdim)
        x = a._data if dt is a.dtype else a._data.astype(dt.np)
        nan = np.isnan(x)
        count = (~nan).sum(axis=dims, keepdims=True).astype(x.dtype)
        ctx.save_for_backward(a, _const(count))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(nan, 0, x).sum(axis=dims, keepdims=True) / count
        if not keepdim:
            out = out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in dims))
        return _as(out, x)

    @staticmethod
    def backward(ctx, g):
        a, count = ctx.saved_tensors
        shape, dims, keepdim = ctx.meta
        # a product, not masked_fill: an all-NaN slice (count 0) gets NaN, as PyTorch
        g = _unreduce(g, shape, dims, keepdim) / count
        return g * _const(~np.isnan(a._data)), None, None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001 - PyTorch's name
    return Sum.apply(input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return Mean.apply(input, dim, keepdim, dtype)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return Nansum.apply(input, dim, keepdim, dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    return Nanmean.apply(input, dim, keepdim, dtype)


# -- var, std ------------------------------------------------------------------------------
def _var_args(op, dim, unbiased, correction):
    """Resolve var/std's overloads: var(x, unbiased), var(x, dim, unbiased, keepdim) and
    var(x, dim, correction=, keepdim=)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}(): argument 'dim' must be tuple of ints, not bool")
        unbiased, dim = dim, None
    if correction is not None and unbiased is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, number(correction, op, "correction")


def _var_array(x, dims, keepdim, n, correction, op):
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      stacklevel=4)
    dt = x.dtype
    if dt == np.float16:
        x = x.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = x - accurate_sum(x, dims, True) / n
        ss = (dev * dev.conj()).real if x.dtype.kind == "c" else dev * dev
        out = accurate_sum(ss, dims, keepdim) / builtins.max(dof, 0)
    return _cast(out, ss.dtype if dt != np.float16 else dt)


def _var_grad(g, a, dims, dof, full):
    """g * d var / d x = g * 2 (x - mean) / dof; ``g`` broadcasts against ``a``."""
    dev = a - a.mean(dims, keepdim=True)
    if dof <= 0 and full:
        # PyTorch's choice for a full reduction: 2/0 is inf, and inf * 0 is NaN where x = mean
        return g * _const(np.where(dev._data == 0, np.nan, np.inf).astype(a._data.dtype))
    return (g * (2.0 / dof if dof else float("inf"))) * dev


def _check_var_dtype(a):
    if a.dtype.category < D._FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")


def _var_onnx(graph, ctx, a, root):
    """ONNX form of var/std: the mean of squared deviations times n / dof, as two passes."""
    shape, dims, keep, dof = ctx.meta
    dt = graph.out[0].dtype
    x = graph.cast(a, dt)
    d = graph.op("Sub", x, graph.reduce("ReduceMean", x, dims, True))
    v = graph.op("Div", graph.reduce("ReduceSum", graph.op("Mul", d, d), dims, keep), graph.scalar(dof, dt))
    return graph.op("Sqrt", v) if root else v


class Var(Function):
    _builtin = True

    # d var = 2 (x - mean) / (n - correction)
    @staticmethod
    def forward(ctx, a, dim, correction, keepdim):
        _check_var_dtype(a)
        shape = a._data.shape
        dims = _dims(dim, len(shape))
        n = _numel(shape, dims)
        ctx.meta = (shape, dims, keepdim, n - correction)
        ctx.full = dim is None or not shape
        ctx.save_for_backward(a)
        return _var_array(a._data, dims, keepdim, n, correction, "var")

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        shape, dims, keepdim, dof = ctx.meta
        return _var_grad(_unreduce(g, shape, dims, keepdim), a, dims, dof, ctx.full), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, correction, keepdim):
        return _var_onnx(graph, ctx, a, False)


class Std(Function):
    _builtin = True

    # d std = d var / (2 std); zero where std is zero (there x - mean is zero too)
    @staticmethod
    def forward(ctx, a, dim, correction, keepdim):
        _check_var_dtype(a)
        shape = a._data.shape
        dims = _dims(dim, len(shape))
        n = _numel(shape, dims)
        ctx.meta = (shape, dims, keepdim, n - correction)
        ctx.full = dim is None or not shape
        out = a._wrap(np.sqrt(_var_array(a._data, dims, keepdim, n, correction, "std")))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape, dims, keepdim, dof = ctx.meta
        out = _unreduce(out, shape, dims, keepdim)
        g = _unreduce(g, shape, dims, keepdim) / (2 * out.masked_fill(out == 0, 1))
        return _var_grad(g, a, dims, dof, ctx.full), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, correction, keepdim):
        return _var_onnx(graph, ctx, a, True)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, correction = _var_args("var", dim, unbiased, correction)
    return Var.apply(input, dim, correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, correction = _var_args("std", dim, unbiased, correction)
    return Std.apply(input, dim, correction, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, correction = _var_args("var_mean", dim, unbiased, correction)
    return Var.apply(input, dim, correction, keepdim), Mean.apply(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, correction = _var_args("std_mean", dim, unbiased, correction)
    return Std.apply(input, dim, correction, keepdim), Mean.apply(input, dim, keepdim)


# -- logsumexp, norm -----------------------------------------------------------------------
class Logsumexp(Function):
    _builtin = True

    # d logsumexp = softmax = exp(x - out)
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        x = a._data
        if a.dtype.category < D._FLOAT:
            x = x.astype(D.get_default_dtype().np)
        shape = x.shape
        ctx.meta = (shape, dims, keepdim)
        if x.size == 0:
            out = a._xp.full(_kept_shape(shape, dims), -np.inf, x.dtype)
        else:
            # shift by the max so exp cannot overflow; an infinite max shifts by 0 instead
            m = np.max(x, axis=dims, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.log(np.exp(x - m).sum(axis=dims, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(tuple(s for i, s in enumerate(shape) if i not in dims))
        out = a._wrap(_as(out, x))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.meta
        out = _unreduce(out, shape, dims, keepdim)
        return _unreduce(g, shape, dims, keepdim) * _conj((a - out).exp()), None, None

    # max-shifted as the forward (an infinite max shifts by 0)
    @staticmethod
    def onnx(graph, ctx, a, dims, keepdim):
        shape, dims, keep = ctx.meta
        dt = graph.out[0].dtype
        x = graph.cast(a, dt)
        if not shape:
            return graph.op("Identity", x)
        m = graph.reduce("ReduceMax", x, dims, True)
        m = graph.op("Where", graph.op("IsInf", m), graph.scalar(0, dt), m)
        s = graph.reduce("ReduceSum", graph.op("Exp", graph.op("Sub", x, m)), dims, True)
        out = graph.op("Add", graph.op("Log", s), m)
        return out if keep else graph.squeeze(out, dims)


def logsumexp(input, dim, keepdim=False):
    return Logsumexp.apply(input, _dims(dim, input._data.ndim), keepdim)


class LinalgVectorNorm(Function):
    _builtin = True

    # d ||x||_p = sign(x) |x|^(p-1) / ||x||^(p-1); p=inf: the tied max |x| share the gradient
    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        x = np.abs(a._data)
        shape, dt = x.shape, x.dtype
        if dt == np.float16:
            x = x.astype(np.float32)   # accumulate in float32, as PyTorch
        ctx.meta = (p, shape, dims, keepdim)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if p == 2:
                out = np.sqrt(accurate_sum(x * x, dims, keepdim))
            elif p == 1:
                out = accurate_sum(x, dims, keepdim)
            elif p == 0:
                out = (x != 0).sum(axis=dims, keepdims=keepdim)
            elif p in (np.inf, -np.inf):
                if x.size == 0 and (not dims or builtins.any(shape[d] == 0 for d in dims)):
                    raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an "
                                       "empty tensor because the operation does not have an "
                                       "identity")
                out = (np.max if p > 0 else np.min)(x, axis=dims, keepdims=keepdim)
            else:
                out = accurate_sum(x ** p, dims, keepdim) ** (1.0 / p)
        out = a._wrap(_cast(out, dt))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p, shape, dims, keepdim = ctx.meta
        g = _unreduce(g, shape, dims, keepdim)
        out = _unreduce(out, shape, dims, keepdim)
        if p == 0:
            return _const(a._xp.zeros(shape, a._data.dtype)), None, None, None
        if p == 1:
            return g * a.sign(), None, None, None
        if p == 2:   # x / ||x||, and 0 where the norm is 0 (there x is 0 as well)
            return a * (g / out.masked_fill(out == 0, 1)), None, None, None
        if p in (np.inf, -np.inf):
            x = np.abs(a._data)
            o = out._data
            mask = (x == o) | np.isnan(x)
            count = mask.sum(axis=dims, keepdims=True).astype(x.dtype)
            return a.sign() * (g / _const(count)).masked_fill(_const(~mask), 0), None, None, None
        zero_norm = out == 0
        if p < 1:
            scaled = a.sign() * a.abs().pow(p - 1).masked_fill(a == 0, 0)
            return scaled * g * out.pow(1 - p), None, None, None
        scaled = a.sign() * a.abs().pow(p - 1) if p < 2 else a * a.abs().pow(p - 2)
        return scaled * (g / out.pow(p - 1)).masked_fill(zero_norm, 0), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, p, dims, keepdim):
        p, shape, dims, keep = ctx.meta
        x = graph.op("Abs", a)
        if not shape:
            return x
        if p == 2:
            return graph.reduce("ReduceL2", a, dims, keep)
        if p == 1:
            return graph.reduce("ReduceL1", a, dims, keep)
        if p == 0:
            nz = graph.cast(graph.op("Not", graph.op("Equal", x, graph.scalar(0, a.dtype))), a.dtype)
            return graph.reduce("ReduceSum", nz, dims, keep)
        if p in (np.inf, -np.inf):
            return graph.reduce("ReduceMax" if p > 0 else "ReduceMin", x, dims, keep)
        s = graph.reduce("ReduceSum", graph.op("Pow", x, graph.scalar(p, a.dtype)), dims, keep)
        return graph.op("Pow", s, graph.scalar(1.0 / p, a.dtype))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    check_tensor(input, "norm")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < D._FLOAT:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.dtype._short}")
    nd = input._data.ndim
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if isinstance(p, str):
        if p == "fro":
            if dim is not None and len(dim) > 2:
                raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                                   + " ".join(str(d) for d in dim))
            p = 2
        elif p == "nuc":   # a matrix norm: torch.linalg's
            from .matrix_norm import matrix_norm
            return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)
        else:
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if p is None:
        p = 2
    return LinalgVectorNorm.apply(input, float(p), _dims(dim, nd), keepdim)


def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast), as one number."""
    check_tensor(input, "dist")
    if not isinstance(other, _T.Tensor):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    if not isinstance(p, (int, float, np.integer, np.floating, np.bool_)):
        if not (isinstance(p, _T.Tensor) and p._data.ndim == 0):
            raise TypeError(f"dist(): argument 'p' (position 3) must be Number, not "
                            f"{type(p).__name__}")
        p = p.item()
    diff = input - other
    if diff.dtype.category < D._FLOAT:
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {diff.dtype._short} instead.")
    return LinalgVectorNorm.apply(diff, float(p), tuple(range(diff._data.ndim)), False)


# -- all, any, count_nonzero ---------------------------------------------------------------
def _logical(op, input, dim, keepdim):
    x = input._data
    # an empty dim list reduces nothing here (unlike sum): PyTorch just tests each element
    dims = _dims(dim, x.ndim, empty_is_all=False)
    fn = np.all if op == "all" else np.any
    out = fn(x, axis=dims, keepdims=keepdim) if dims else x.astype(bool)
    # PyTorch keeps uint8 for uint8 inputs
    return input._wrap(_cast(out, np.uint8 if x.dtype == np.uint8 else np.bool_))


def all(input, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return _logical("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return _logical("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    x = input._data
    dims = _dims(dim, x.ndim)
    return input._wrap(_cast((x != 0).sum(axis=dims), np.int64))


# the families that live in their own files (imported here, below the helpers they build on)
from .extrema import (  # noqa: E402, I001
    _amax, _arg, _extreme, amax, amin, aminmax, argmax, argmin, max, min)
from .scan import (  # noqa: E402
    Cumprod, Cumsum, cummax, cummin, cumprod, cumsum, diff, logcumsumexp, prod)


class ReduceMethods:
    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return Sum.apply(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return Mean.apply(self, dim, keepdim, dtype)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return Nansum.apply(self, dim, keepdim, dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return Nanmean.apply(self, dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return prod(self, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        return Cumsum.apply(self, dim, dtype)

    def cumsum_(self, dim, *, dtype=None):
        return self._inplace(Cumsum, dim, dtype if dtype is not None else self.dtype)

    def cumprod(self, dim, *, dtype=None):
        return Cumprod.apply(self, dim, dtype)

    def cumprod_(self, dim, *, dtype=None):
        return self._inplace(Cumprod, dim, dtype if dtype is not None else self.dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return _extreme("max", self, dim, keepdim, None)

    def min(self, dim=None, keepdim=False):
        return _extreme("min", self, dim, keepdim, None)

    def amax(self, dim=(), keepdim=False):
        return _amax("amax", self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _amax("amin", self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _arg("argmax", self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _arg("argmin", self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return norm(self, p, dim, keepdim, dtype)

    def all(self, dim=None, keepdim=False):
        return _logical("all", self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _logical("any", self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return count_nonzero(self, dim)

    def dist(self, other, p=2):
        return dist(self, other, p)

    def cummax(self, dim):
        return cummax(self, dim)

    def cummin(self, dim):
        return cummin(self, dim)

    def logcumsumexp(self, dim):
        return logcumsumexp(self, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return diff(self, n, dim, prepend, append)

    def aminmax(self, *, dim=None, keepdim=False):
        return aminmax(self, dim=dim, keepdim=keepdim)


# -- cov / corrcoef -------------------------------------------------------------------------------

def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns), with
    optional integer frequency and float importance weights per observation."""
    check_tensor(input, "cov")
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    if not x.is_floating_point() and not x.is_complex():
        x = x.to(D.get_default_dtype())
    n = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.dim() > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {wt.dim()} dimensions")
        if wt.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {n}")
        if name == "fweights" and wt.is_floating_point():
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                               f"with {wt.dtype._short} dtype")
        if name == "aweights" and not wt.is_floating_point():
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {wt.dtype._short} dtype")
        if bool((wt < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else w * wt
    if w is None:
        avg = x.mean(1, keepdim=True)
        norm = n - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1, keepdim=True) / w_sum
        norm = w_sum - (correction if aweights is None
                        else correction * (w * aweights.to(x.dtype)).sum() / w_sum)
    xm = x - avg
    xw = xm if w is None else xm * w
    other = xm.conj() if xm.is_complex() else xm
    out = xw.matmul(other.transpose(0, 1))
    norm = norm if isinstance(norm, _T.Tensor) else out.new_full((), float(norm))
    out = out / norm.clamp(min=0)
    return out.squeeze()      # one variable gives a 0-d result, as PyTorch


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1]."""
    check_tensor(input, "corrcoef")
    if input.dim() > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return c.clamp(-1, 1) if not c.is_complex() else c

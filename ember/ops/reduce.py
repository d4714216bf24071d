"""Reductions over dims: sum, mean, prod, var/std, max/min, amax/amin, argmax/argmin, logsumexp,
norm, cumsum/cumprod, all/any, count_nonzero, nansum/nanmean."""
import builtins
import warnings

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import canon_dim, canon_dims, check_tensor
from ._util import conj as _conj
from .sort import _EvenSelect, _Selection, return_types

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
    return g if g._data.shape == in_shape else g.expand(in_shape)


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
        return _acc("sum", _acc_array(a, dtype), axis=dims, keepdims=keepdim)

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
        with np.errstate(invalid="ignore", divide="ignore"):
            return _acc("mean", x, axis=dims, keepdims=keepdim) if n else \
                x.sum(axis=dims, keepdims=keepdim) * np.nan

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


# -- prod, cumsum, cumprod -----------------------------------------------------------------
def _scan(fn, x, d, reverse):
    """``x.fn`` ("cumsum" / "cumprod") along ``d``, from the end when ``reverse``."""
    if x.ndim == 0:
        return x.copy()
    if not reverse:
        return _acc(fn, x, axis=d)
    flip = (slice(None),) * d + (slice(None, None, -1),)
    return np.ascontiguousarray(_acc(fn, x[flip], axis=d)[flip])


class Cumsum(Function):
    _builtin = True

    # d cumsum = the gradient summed from the end (a reversed cumsum), and the other way round
    @staticmethod
    def forward(ctx, a, dim, dtype=None, reverse=False):
        x = _acc_array(a, dtype)
        d = canon_dim(dim, x.ndim)
        ctx.meta = (d, reverse)
        return _scan("cumsum", x, d, reverse)

    @staticmethod
    def backward(ctx, g):
        d, reverse = ctx.meta
        return Cumsum.apply(g, d, None, not reverse), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, dtype=None, reverse=False):
        d, rev = ctx.meta
        x = graph.cast(a, graph.out[0].dtype)
        if not a.shape:
            return graph.op("Identity", x)
        return graph.op("CumSum", x, graph.const(np.asarray(d, np.int64)), reverse=int(rev))


class Cumprod(Function):
    _builtin = True

    # d out_k / d x_i = prod_{j<=k, j!=i} x_j (k >= i): with no zeros in x that is a reversed
    # cumsum of g*out divided by x; zeros need the products written out
    @staticmethod
    def forward(ctx, a, dim, dtype=None, reverse=False):
        x = _acc_array(a, dtype)
        d = canon_dim(dim, x.ndim)
        ctx.meta = (d, reverse)
        out = a._wrap(_scan("cumprod", x, d, reverse))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        d, reverse = ctx.meta
        if a._data.ndim == 0 or a._data.shape[d] <= 1:
            return g, None, None, None
        zero = a._data == 0
        if not zero.any():
            return Cumsum.apply(g * _conj(out), d, None, not reverse) / _conj(a), None, None, None
        if STATE.enabled:   # create_graph: a form whose own derivative is right at zeros too
            return _cumprod_grad_exact(g, a, d, reverse), None, None, None
        return _cumprod_grad_zeros(g, a, out, zero, d, reverse), None, None, None


def _cumprod_grad_zeros(g, a, out, zero, d, reverse):
    """O(n) gradient of cumprod where x has zeros (right to first order only). In scan order:
    before the first zero z the no-zero formula holds (out is 0 from z on), at z the gradient
    is sum_{k>=z} g_k prod_{j<=k, j!=z} x_j (a cumprod with x_z set to 1), after z it is 0."""
    nz = _scan("cumsum", zero, d, reverse)
    not_before = _const(nz != 0)
    first = zero & (nz == 1)
    ga = Cumsum.apply(g * _conj(out), d, None, not reverse) / _conj(a.masked_fill(not_before, 1))
    rest = Cumprod.apply(a.masked_fill(_const(first), 1), d, None, reverse)
    gz = Cumsum.apply(g * _conj(rest), d, None, not reverse)
    return ga.masked_fill(not_before, 0) + gz.masked_fill(_const(~first), 0)


def _cumprod_grad_exact(g, a, d, reverse):
    """O(n^2) gradient of cumprod built from differentiable ops: row i of a new dim holds x
    with x_i set to 1, whose cumprod at k is prod_{j<=k, j!=i} x_j."""
    shape = a._data.shape
    n, nd = shape[d], len(shape)
    xp = a._xp
    lay = (1,) * d + (n, n) + (1,) * (nd - d - 1)
    rows = a.unsqueeze(d).expand(shape[:d] + (n,) + shape[d:])
    rows = rows.masked_fill(_const(xp.eye(n, dtype=bool).reshape(lay)), 1)
    prods = Cumprod.apply(rows, d + 1, None, reverse)
    skip = xp.tri(n, k=-1, dtype=bool)       # k < i: not reached by x_i
    if reverse:
        skip = skip.T
    return (_conj(prods) * g.unsqueeze(d)).masked_fill(_const(skip.reshape(lay)), 0).sum(d + 1)


class _Shift(Function):
    _builtin = True

    # out[k] = a[k - step] along dim (``fill`` where that falls outside); linear in a, the
    # adjoint shifts back with a zero fill
    @staticmethod
    def forward(ctx, a, dim, step, fill):
        x = a._data
        ctx.meta = (dim, step)
        out = a._xp.full(x.shape, fill, x.dtype)
        n = x.shape[dim]
        lead = (slice(None),) * dim
        if step > 0:
            out[lead + (slice(1, None),)] = x[lead + (slice(0, n - 1),)]
        else:
            out[lead + (slice(0, n - 1),)] = x[lead + (slice(1, None),)]
        return out

    @staticmethod
    def backward(ctx, g):
        dim, step = ctx.meta
        return _Shift.apply(g, dim, -step, 0), None, None, None


def _others_prod(a, d):
    """prod over dim d of every element but the i-th: exclusive cumprods from both ends (no
    division, so right where a has zeros, and differentiable again)."""
    before = Cumprod.apply(_Shift.apply(a, d, 1, 1), d)
    after = Cumprod.apply(_Shift.apply(a, d, -1, 1), d, None, True)
    return before * after


class Prod(Function):
    _builtin = True

    # d prod / d x_i = prod of the other elements (= out / x_i when x has no zero)
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        x = _acc_array(a, dtype)
        if dim is None:
            ctx.meta = None
            out = _acc("prod", x)
        else:
            d = canon_dim(dim, x.ndim)
            ctx.meta = (d, keepdim)
            out = _acc("prod", x, axis=d, keepdims=keepdim) if x.ndim else x.copy()
        out = a._wrap(_as(out, x))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape = a._data.shape
        if not shape:
            return g, None, None, None
        if a._data.size == 0:
            return g.expand(shape) if ctx.meta is None or ctx.meta[1] else \
                g.unsqueeze(ctx.meta[0]).expand(shape), None, None, None
        if not (a._data == 0).any():
            if ctx.meta is not None and not ctx.meta[1]:
                g, out = g.unsqueeze(ctx.meta[0]), out.unsqueeze(ctx.meta[0])
            return g * _conj(out / a), None, None, None
        if ctx.meta is None:
            flat = a.reshape(-1)
            return (g * _conj(_others_prod(flat, 0))).reshape(shape), None, None, None
        d, keepdim = ctx.meta
        if not keepdim:
            g = g.unsqueeze(d)
        return g * _conj(_others_prod(a, d)), None, None, None

    def name(self):
        return "ProdBackward0" if self.__dict__.get("meta") is None else "ProdBackward1"

    @staticmethod
    def onnx(graph, ctx, a, dim=None, keepdim=False, dtype=None):
        x = graph.cast(a, graph.out[0].dtype)
        if not a.shape:
            return graph.op("Identity", x)
        if ctx.meta is None:
            return graph.reduce("ReduceProd", x, None, False)
        d, keep = ctx.meta
        return graph.reduce("ReduceProd", x, [d], keep)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return Prod.apply(input, dim, keepdim, dtype)


def cumsum(input, dim, *, dtype=None):
    return Cumsum.apply(input, dim, dtype)


def cumprod(input, dim, *, dtype=None):
    return Cumprod.apply(input, dim, dtype)


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
    return dim, correction


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
        dev = x - x.sum(axis=dims, keepdims=True) / n
        ss = (dev * dev.conj()).real if x.dtype.kind == "c" else dev * dev
        out = ss.sum(axis=dims, keepdims=keepdim) / builtins.max(dof, 0)
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


# -- max, min, amax, amin, argmax, argmin --------------------------------------------------
def _select_onnx(graph, ctx, a, reduce_op, arg_op):
    """(values, indices) of max/min along one dim: ReduceMax/Min and ArgMax/Min (the first
    index of ties, as the forward)."""
    shape, d, keep = ctx.meta
    if not shape:
        return graph.op("Identity", a), graph.const(np.zeros((), np.int64))
    return (graph.reduce(reduce_op, a, [d], keep),
            graph.op(arg_op, a, axis=d, keepdims=int(bool(keep)), select_last_index=0))


class Max(_Selection):
    _ctx_arrays = ('idx',)   # freed with the saved tensors
    # max along a dim: the gradient goes to the index it picked
    @staticmethod
    def _pick(x, d):
        return np.argmax(x, axis=d, keepdims=True)

    @staticmethod
    def onnx(graph, ctx, a, dim, keepdim):
        return _select_onnx(graph, ctx, a, "ReduceMax", "ArgMax")


class Min(_Selection):
    _ctx_arrays = ('idx',)   # freed with the saved tensors
    @staticmethod
    def _pick(x, d):
        return np.argmin(x, axis=d, keepdims=True)

    @staticmethod
    def onnx(graph, ctx, a, dim, keepdim):
        return _select_onnx(graph, ctx, a, "ReduceMin", "ArgMin")


class MaxAll(_EvenSelect):
    # max of everything: the gradient is shared evenly among the tied maxima
    @staticmethod
    def _reduce(x, dims, keepdim):
        return np.max(x, axis=dims, keepdims=keepdim)

    def name(self):
        return "MaxBackward1"

    @staticmethod
    def onnx(graph, ctx, a, dims, keepdim):
        return graph.reduce("ReduceMax", a, ctx.meta[0], ctx.meta[1]) if a.shape else graph.op("Identity", a)


class MinAll(_EvenSelect):
    @staticmethod
    def _reduce(x, dims, keepdim):
        return np.min(x, axis=dims, keepdims=keepdim)

    def name(self):
        return "MinBackward1"

    @staticmethod
    def onnx(graph, ctx, a, dims, keepdim):
        return graph.reduce("ReduceMin", a, ctx.meta[0], ctx.meta[1]) if a.shape else graph.op("Identity", a)


class Amax(MaxAll):
    def name(self):
        return "AmaxBackward0"


class Amin(MinAll):
    def name(self):
        return "AminBackward0"


def _extreme(op, input, dim, keepdim, other):
    check_tensor(input, op)
    if isinstance(dim, _T.Tensor) or other is not None:
        # max(a, b): the elementwise maximum, from the binary family
        import ember
        return getattr(ember, "maximum" if op == "max" else "minimum")(
            input, dim if other is None else other)
    x = input._data
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}() received an invalid combination of arguments - got "
                            "(Tensor, keepdim=bool)")
        _empty_reduction_check(op, x, (), True)
        return (MaxAll if op == "max" else MinAll).apply(input, tuple(range(x.ndim)), False)
    d = canon_dim(dim, x.ndim)
    _empty_reduction_check(op, x, (d,) if x.ndim else (), False)
    v, i = (Max if op == "max" else Min).apply(input, d, keepdim)
    return getattr(return_types, op)(v, i)


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001 - PyTorch's name
    return _extreme("max", input, dim, keepdim, other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001 - PyTorch's name
    return _extreme("min", input, dim, keepdim, other)


def _amax(op, input, dim, keepdim):
    x = input._data
    dims = _dims(dim, x.ndim)
    full = dim is None or (not isinstance(dim, (int, np.integer)) and len(dim) == 0)
    _empty_reduction_check(op, x, dims, full)
    return (Amax if op == "amax" else Amin).apply(input, dims, keepdim)


def amax(input, dim=(), keepdim=False):
    return _amax("amax", input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return _amax("amin", input, dim, keepdim)


def _arg(op, input, dim, keepdim):
    x = input._data
    if input.dtype is D.bool:
        raise RuntimeError(f"{op}(): does not support bool input")
    fn = np.argmax if op == "argmax" else np.argmin
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                             "== 0.")
        i = _cast(fn(x), np.int64)
        return input._wrap(i.reshape((1,) * x.ndim) if keepdim else i)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'dim' (position 2) must be int, not "
                        f"{type(dim).__name__}")
    d = canon_dim(dim, x.ndim)
    if x.ndim == 0:
        return input._wrap(input._xp.zeros((), np.int64))
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return input._wrap(fn(x, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input, dim=None, keepdim=False):
    return _arg("argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _arg("argmin", input, dim, keepdim)


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
                out = np.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
            elif p == 1:
                out = x.sum(axis=dims, keepdims=keepdim)
            elif p == 0:
                out = (x != 0).sum(axis=dims, keepdims=keepdim)
            elif p in (np.inf, -np.inf):
                if x.size == 0 and (not dims or builtins.any(shape[d] == 0 for d in dims)):
                    raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an "
                                       "empty tensor because the operation does not have an "
                                       "identity")
                out = (np.max if p > 0 else np.min)(x, axis=dims, keepdims=keepdim)
            else:
                out = (x ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
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
        elif p == "nuc":   # a matrix norm: ember.linalg's
            from .. import linalg
            return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)
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


# -- cummax / cummin, logcumsumexp, diff, aminmax ------------------------------------------------
def _cumext(op, input, dim):
    """Running max/min and where it was last reached (ties and NaN take the later index, as
    PyTorch); the values are ``input`` gathered there, so the gradient goes to those places."""
    from .gather import gather
    check_tensor(input, op)
    x = input._data
    d = canon_dim(dim, x.ndim)
    x1 = x.reshape(1) if x.ndim == 0 else x
    vals = (np.maximum if op == "cummax" else np.minimum).accumulate(x1, axis=d)
    mark = x1 == vals
    if x1.dtype.kind in "fc":
        mark |= np.isnan(x1)
    pos = np.arange(x1.shape[d]).reshape((-1,) + (1,) * (x1.ndim - d - 1))
    idx = np.maximum.accumulate(np.where(mark, pos, 0), axis=d).astype(np.int64, copy=False)
    it = input._wrap(idx)
    v = gather(input if x.ndim else input.reshape(1), d, it)
    if x.ndim == 0:
        v, it = v.reshape(()), it.reshape(())
    return getattr(return_types, op)(v, it)


def cummax(input, dim):
    return _cumext("cummax", input, dim)


def cummin(input, dim):
    return _cumext("cummin", input, dim)


class Logcumsumexp(Function):
    _builtin = True

    # d out_i / d x_j = exp(x_j - out_i) for i >= j; the sum over i is done in log space, the
    # positive and negative parts of g apart (a reversed logcumsumexp each), so nothing overflows
    @staticmethod
    def forward(ctx, a, dim, reverse=False):
        x = a._data
        if x.dtype.kind not in "f":
            raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                      f"'{a.dtype._short}'")
        d = canon_dim(dim, x.ndim)
        ctx.meta = (d, reverse)
        if x.ndim == 0:
            out = x.copy()
        elif reverse:
            flip = (slice(None),) * d + (slice(None, None, -1),)
            out = np.ascontiguousarray(np.logaddexp.accumulate(x[flip], axis=d)[flip])
        else:
            out = np.logaddexp.accumulate(x, axis=d)
        out = a._wrap(out)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .gather import where
        a, out = ctx.saved_tensors
        d, reverse = ctx.meta
        if a._data.ndim == 0:
            return g, None, None
        mag = g.abs()
        lg = where(mag > 0, mag, 1.0).log() - out
        parts = []
        for sel in (g > 0, g < 0):
            part = Logcumsumexp.apply(where(sel, lg, float("-inf")), d, not reverse)
            parts.append((part + a).exp())
        return parts[0] - parts[1], None, None


def logcumsumexp(input, dim):
    check_tensor(input, "logcumsumexp")
    return Logcumsumexp.apply(input, dim)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim`` (xor for bool), after joining ``prepend`` and
    ``append``: slices and a subtraction, so gradients come for free."""
    from .join import cat
    check_tensor(input, "diff")
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = canon_dim(dim, x.ndim)
    parts = [input]
    for t, front in ((prepend, True), (append, False)):
        if t is None:
            continue
        if t._data.ndim != x.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.insert(0, t) if front else parts.append(t)
    out = cat(parts, d) if len(parts) > 1 else input
    if n == 0:
        return out.clone() if out is input else out
    for _ in range(n):
        size = out._data.shape[d]
        if size == 0:
            break
        hi, lo = out.narrow(d, 1, size - 1), out.narrow(d, 0, size - 1)
        out = hi != lo if out.dtype is D.bool else hi - lo
    return out


def aminmax(input, *, dim=None, keepdim=False):
    check_tensor(input, "aminmax")
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = tuple(range(x.ndim))
    else:
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
        d = canon_dim(dim, x.ndim)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        dims = (d,) if x.ndim else ()
    return return_types.aminmax(Amin.apply(input, dims, keepdim), Amax.apply(input, dims, keepdim))


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

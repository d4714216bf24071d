"""Extrema: max / min (with indices, overall, or elementwise against another tensor), amax / amin,
argmax / argmin and aminmax."""
import numpy as np

from .. import _dtype as D
from ._number import index
from ._util import canon_dim, check_tensor
from .reduce import _T, _cast, _dims, _empty_reduction_check
from .sort import _EvenSelect, _Selection, return_types

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


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
    # max along a dim: the gradient goes to the index it picked
    @staticmethod
    def _pick(x, d):
        return np.argmax(x, axis=d, keepdims=True)

    @staticmethod
    def onnx(graph, ctx, a, dim, keepdim):
        return _select_onnx(graph, ctx, a, "ReduceMax", "ArgMax")


class Min(_Selection):
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
    dim = index(dim)
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
    dim = index(dim)
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

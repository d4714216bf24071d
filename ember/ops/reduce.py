"""Reductions over dims: sum, mean and friends."""
import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._util import canon_dims

__all__ = ["sum", "mean", "ReduceMethods"]


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim:
        g = g.reshape(_kept_shape(in_shape, dims))
    return g.expand(in_shape)


class Sum(Function):
    _builtin = True

    # d sum = 1, broadcast back over the summed dims
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        dims = canon_dims(dim, a._data.ndim)
        ctx.meta = (a._data.shape, dims, keepdim)
        x = a._data
        if dtype is not None:
            x = x.astype(D.to_dtype(dtype).np)
        elif a.dtype.category < D._FLOAT:
            x = x.astype(np.int64)
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        return _expand_back(g, shape, dims, keepdim), None, None, None


class Mean(Function):
    _builtin = True

    # d mean = 1/n, broadcast back over the averaged dims
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        dt = D.to_dtype(dtype) if dtype is not None else a.dtype
        if dt.category < D._FLOAT:
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {dt._short}")
        dims = canon_dims(dim, a._data.ndim)
        ctx.meta = (a._data.shape, dims, keepdim)
        n = 1
        for d in dims:
            n *= a._data.shape[d]
        ctx.n = n
        x = a._data if dt is a.dtype else a._data.astype(dt.np)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.mean(x, axis=dims, keepdims=keepdim) if n else \
                x.sum(axis=dims, keepdims=keepdim) * np.nan

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        return _expand_back(g / ctx.n, shape, dims, keepdim), None, None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001 - PyTorch's name
    return Sum.apply(input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return Mean.apply(input, dim, keepdim, dtype)


class ReduceMethods:
    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return Sum.apply(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return Mean.apply(self, dim, keepdim, dtype)

"""The differentiable kernels of COO tensors: NumPy index arithmetic forward, ember ops backward.

Each takes the *values* (a dense 1-D Tensor, nnz long) as its differentiable input and the
coordinates as plain int64 arrays, so gradients reach the values (and from them whatever they
were computed from) through the one autograd engine, with no sparse gradient type.
"""
import numpy as np

from .. import _tensor
from ..autograd.function import Function


def _idx(arr):
    return _tensor.Tensor._wrap(arr)


def scatter_add(v, index, n):
    """``out[index[i]] += v[i]`` into ``n`` zeros (rows of ``v`` if it is 2-D). bincount adds
    in float64 (exact for integers below 2**53), so sums of float32 values round once."""
    if v.ndim == 1 and v.dtype.kind in "fiu":
        out = np.bincount(index, weights=v, minlength=n)
        return out.astype(v.dtype, copy=False)
    out = np.zeros((n,) + v.shape[1:], dtype=v.dtype)
    np.add.at(out, index, v)
    return out


class ToDense(Function):
    """The dense tensor of ``shape`` holding ``values`` at flat positions ``flat`` (repeated
    positions add up, as for an uncoalesced tensor)."""
    _builtin = True

    @staticmethod
    def forward(ctx, values, flat, shape):
        ctx.flat = flat
        n = int(np.prod(shape, dtype=np.int64))
        return scatter_add(values._data, flat, n).reshape(shape)

    # d dense[flat[i]] / d values[i] = 1: the gradient gathered back at the coordinates
    @staticmethod
    def backward(ctx, g):
        return g.reshape(-1).index_select(0, _idx(ctx.flat)), None, None


class Coalesce(Function):
    """Values summed per distinct coordinate: ``out[inverse[i]] += values[i]``."""
    _builtin = True

    @staticmethod
    def forward(ctx, values, inverse, n):
        ctx.inverse = inverse
        return scatter_add(values._data, inverse, n)

    # each input value went into one output slot: the gradient is gathered from it
    @staticmethod
    def backward(ctx, g):
        return g.index_select(0, _idx(ctx.inverse)), None, None


class SpMM(Function):
    """``S @ dense`` for a 2-D COO ``S`` given by ``values``, ``rows``, ``cols`` and its row
    count: each product ``values[i] * dense[cols[i]]`` is added into row ``rows[i]``."""
    _builtin = True

    def name(self):
        return "MmBackward0"            # PyTorch's node for sparse @ dense

    @staticmethod
    def forward(ctx, values, dense, rows, cols, n_rows):
        ctx.meta = (rows, cols, n_rows, dense._data.shape[0])
        ctx.save_for_backward(values, dense)
        v, d = values._data, dense._data
        dt = np.result_type(v.dtype, d.dtype)
        prod = v.astype(dt, copy=False)[:, None] * d.astype(dt, copy=False)[cols]
        out = np.zeros((n_rows, d.shape[1]), dtype=dt)
        if rows.size:
            if (rows[1:] < rows[:-1]).any():       # group each row's products together
                order = np.argsort(rows, kind="stable")
                rows, prod = rows[order], prod[order]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[rows[starts]] = np.add.reduceat(prod, starts, axis=0)
        return out

    # d(S @ D)/dD: S^T @ g (another sparse product);  d/dvalues[i] = g[rows[i]] . D[cols[i]]
    @staticmethod
    def backward(ctx, g):
        values, dense = ctx.saved_tensors
        rows, cols, n_rows, n_cols = ctx.meta
        need = ctx.needs_input_grad
        gv = gd = None
        if need[0]:
            gv = (g.index_select(0, _idx(rows)) * dense.index_select(0, _idx(cols))).sum(1)
        if need[1]:
            gd = SpMM.apply(values, g, cols, rows, n_cols)
        return gv, gd, None, None, None

"""Diagonals and triangles: diagonal (a writable view) and diagonal_scatter, diag, tril and triu."""
import numpy as np

from ..autograd.function import Function
from ._util import canon_dim

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def _diag_view(arr, offset, d1, d2):
    """A writable view of a diagonal (NumPy's ``diagonal`` is read-only): the other dims first,
    the diagonal last, as PyTorch orders them."""
    sl = [slice(None)] * arr.ndim
    if offset >= 0:
        sl[d2] = slice(offset, None)
    else:
        sl[d1] = slice(-offset, None)
    v = arr[tuple(sl)]
    keep = [d for d in range(arr.ndim) if d != d1 and d != d2]
    shape = tuple(v.shape[d] for d in keep) + (min(v.shape[d1], v.shape[d2]),)
    strides = tuple(v.strides[d] for d in keep) + (v.strides[d1] + v.strides[d2],)
    if isinstance(arr, np.ndarray):
        return np.lib.stride_tricks.as_strided(v, shape, strides)
    import cupy
    return cupy.lib.stride_tricks.as_strided(v, shape, strides)


def _diag_dims(nd, dim1, dim2):
    d1, d2 = canon_dim(dim1, nd), canon_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class Diagonal(Function):
    _builtin = True

    # d diagonal = diagonal_scatter of the gradient into zeros
    @staticmethod
    def forward(ctx, a, offset=0, dim1=0, dim2=1):
        d1, d2 = _diag_dims(a._data.ndim, dim1, dim2)
        ctx.meta = (a._data.shape, offset, d1, d2)
        return a._view_of(_diag_view(a._data, offset, d1, d2))

    @staticmethod
    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.meta
        zeros = g._wrap(g._xp.zeros(shape, g._data.dtype))
        return DiagonalScatter.apply(zeros, g, offset, d1, d2), None, None, None


class DiagonalScatter(Function):
    _builtin = True

    # out = a with its diagonal = src:  d/da = g with a zero diagonal,  d/dsrc = diagonal(g)
    @staticmethod
    def forward(ctx, a, src, offset=0, dim1=0, dim2=1):
        d1, d2 = _diag_dims(a._data.ndim, dim1, dim2)
        out = a._data.copy()
        region = _diag_view(out, offset, d1, d2)
        if region.shape != src._data.shape:
            raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                               f"= {list(src._data.shape)}, slice size = {list(region.shape)}")
        region[...] = src._data
        ctx.meta = (offset, d1, d2)
        return out

    @staticmethod
    def backward(ctx, g):
        offset, d1, d2 = ctx.meta
        ga = gs = None
        if ctx.needs_input_grad[0]:
            zeros = _diag_view(g._data, offset, d1, d2)
            zeros = g._wrap(g._xp.zeros(zeros.shape, zeros.dtype))
            ga = DiagonalScatter.apply(g, zeros, offset, d1, d2)
        if ctx.needs_input_grad[1]:
            gs = Diagonal.apply(g, offset, d1, d2)
        return ga, gs, None, None, None


def diagonal(input, offset=0, dim1=0, dim2=1):
    return Diagonal.apply(input, offset, dim1, dim2)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return DiagonalScatter.apply(input, src, offset, dim1, dim2)


class Diag(Function):
    _builtin = True

    # 1-d -> matrix: d = diagonal(g, k);  matrix -> 1-d: d = g placed on the k-th diagonal
    @staticmethod
    def forward(ctx, a, diagonal=0):
        x = a._data
        if x.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
        ctx.meta = (x.shape, diagonal)
        if x.ndim == 2:
            return _diag_view(x, diagonal, 0, 1).copy()
        n = x.shape[0] + abs(diagonal)
        out = a._xp.zeros((n, n), x.dtype)
        _diag_view(out, diagonal, 0, 1)[...] = x
        return out

    @staticmethod
    def backward(ctx, g):
        shape, k = ctx.meta
        if len(shape) == 1:
            return Diagonal.apply(g, k, 0, 1), None
        zeros = g._wrap(g._xp.zeros(shape, g._data.dtype))
        return DiagonalScatter.apply(zeros, g, k, 0, 1), None


def diag(input, diagonal=0):
    return Diag.apply(input, diagonal)


class Tril(Function):
    _builtin = True
    upper = False

    # d tril(a, k) = tril(g, k)
    @classmethod
    def forward(cls, ctx, a, diagonal=0):
        name = "triu" if cls.upper else "tril"
        if a._data.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        ctx.k = diagonal
        return (a._xp.triu if cls.upper else a._xp.tril)(a._data, diagonal)

    @classmethod
    def backward(cls, ctx, g):
        return cls.apply(g, ctx.k), None

    @classmethod
    def onnx(cls, graph, ctx, a, diagonal=0):
        return graph.op("Trilu", a, graph.const(np.asarray(ctx.k, np.int64)), upper=int(cls.upper))


class Triu(Tril):
    upper = True


def tril(input, diagonal=0):
    return Tril.apply(input, diagonal)


def triu(input, diagonal=0):
    return Triu.apply(input, diagonal)

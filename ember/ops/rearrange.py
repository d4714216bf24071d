"""Rearranging copies: flip, roll, rot90, repeat / tile and repeat_interleave (with the segment sum
that is its gradient)."""
import numpy as np

from ..autograd.function import Function
from ._util import canon_dim, canon_dims, shape_arg
from .shape import INT64_MAX

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class Flip(Function):
    _builtin = True

    # d flip(a, dims) = flip(g, dims)
    @staticmethod
    def forward(ctx, a, dims):
        dims = canon_dims(dims, a._data.ndim) if a._data.ndim else ()
        ctx.dims = dims
        return a._xp.flip(a._data, dims).copy() if dims else a._data.copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None

    @staticmethod
    def onnx(graph, ctx, a, dims):
        if not ctx.dims:
            return graph.op("Identity", a)
        n = len(ctx.dims)
        return graph.slice(a, [-1] * n, [-INT64_MAX - 1] * n, list(ctx.dims), [-1] * n)


def flip(input, dims):
    return Flip.apply(input, (dims,) if isinstance(dims, int) else tuple(dims))


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, (1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, (0,))


class Roll(Function):
    _builtin = True

    # d roll(a, s) = roll(g, -s)
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.meta = (shifts, dims)
        return a._xp.roll(a._data, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        shifts, dims = ctx.meta
        neg = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
        return Roll.apply(g, neg, dims), None, None

    @staticmethod
    def onnx(graph, ctx, a, shifts, dims):
        shifts, dims = ctx.meta
        graph.require_static(a)
        flat = dims is None
        x = graph.op("Reshape", a, graph.ints([-1])) if flat else a
        if flat:
            shifts, dims = (shifts,), (0,)
        sizes = (int(np.prod(a.shape)),) if flat else tuple(a.shape[d] for d in dims)
        for s, d, n in zip(shifts, dims, sizes):
            s = s % n if n else 0
            if s:   # the last s entries move to the front
                x = graph.op("Concat", graph.slice(x, [n - s], [n], [d]), graph.slice(x, [0], [n - s], [d]),
                         axis=d)
        return graph.op("Reshape", x, graph.ints(a.shape)) if flat else x


def roll(input, shifts, dims=None):
    shifts = (int(shifts),) if not isinstance(shifts, (tuple, list)) else tuple(map(int, shifts))
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if (dims is None and len(shifts) != 1) or (dims is not None and len(shifts) != len(dims)):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{0 if dims is None else len(dims)}")
    if dims is None:
        return Roll.apply(input, shifts[0], None)
    nd = input._data.ndim
    if nd == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return Roll.apply(input, shifts, tuple(canon_dim(d, nd) for d in dims))


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times from the first towards the second of ``dims``."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = canon_dim(dims[0], nd), canon_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return Flip.apply(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return Flip.apply(input, (d0, d1))
    if k == 3:
        return Flip.apply(input, (d0,)).transpose(d0, d1)
    return input.clone()


class Repeat(Function):
    _builtin = True

    # d repeat = sum of the gradient over the copies: view g as (r0, s0, r1, s1, ...), sum the r's
    @staticmethod
    def forward(ctx, a, reps):
        x = a._data
        if len(reps) < x.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                               "of dimensions of tensor")
        padded = (1,) * (len(reps) - x.ndim) + x.shape
        if any(r < 0 for r in reps):
            raise RuntimeError(f"Trying to create tensor with negative dimension "
                               f"{min(r * s for r, s in zip(reps, padded))}: "
                               f"{[r * s for r, s in zip(reps, padded)]}")
        ctx.meta = (x.shape, padded, reps)
        return a._xp.tile(x.reshape(padded), reps) if reps else x.copy()

    @staticmethod
    def backward(ctx, g):
        shape, padded, reps = ctx.meta
        if not reps:
            return g, None
        split = tuple(n for r, s in zip(reps, padded) for n in (r, s))
        summed = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return summed.reshape(shape), None

    @staticmethod
    def onnx(graph, ctx, a, reps):
        shape, padded, reps = ctx.meta
        if not reps:
            return graph.op("Identity", a)
        x = a if len(padded) == len(shape) else graph.op("Reshape", a, graph.ints(padded))
        return graph.op("Tile", x, graph.ints(reps))


def tile(input, dims):
    dims = shape_arg((dims,))
    return Repeat.apply(input, (1,) * (input._data.ndim - len(dims)) + dims)


class RepeatInterleave(Function):
    _ctx_arrays = ('meta',)   # freed with the saved tensors
    _builtin = True

    # d repeat_interleave = the gradient summed over each run of copies (_SegmentSum)
    @staticmethod
    def forward(ctx, a, reps, dim):
        ctx.meta = (reps, dim)
        return a._xp.repeat(a._data, reps, axis=dim)

    @staticmethod
    def backward(ctx, g):
        reps, dim = ctx.meta
        return _SegmentSum.apply(g, reps, dim), None, None


class _SegmentSum(Function):
    """Sum consecutive runs of ``reps[i]`` slices along ``dim``: repeat_interleave's backward,
    whose own backward is repeat_interleave again."""
    _ctx_arrays = ('meta',)   # freed with the saved tensors

    @staticmethod
    def forward(ctx, g, reps, dim):
        ctx.meta = (reps, dim)
        x = g._data
        shape = list(x.shape)
        shape[dim] = len(reps)
        out = np.zeros(shape, x.dtype)
        full = reps > 0      # reduceat cannot express an empty run: those stay 0
        if full.any():
            starts = np.concatenate(([0], np.cumsum(reps)[:-1]))[full]
            idx = (slice(None),) * dim + (full,)
            out[idx] = np.add.reduceat(x, starts, axis=dim)
        return out

    @staticmethod
    def backward(ctx, gg):
        reps, dim = ctx.meta
        return RepeatInterleave.apply(gg, reps, dim), None, None


def _repeats_array(repeats):
    from .. import _tensor
    if not isinstance(repeats, _tensor.Tensor):
        r = int(repeats)
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        return r, None
    r = repeats._data
    if r.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{repeats.dtype._short}'")
    if r.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return None, r.reshape(-1).astype(np.int64)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or slice along ``dim``) ``repeats`` times, in place order; with only
    a 1-d count tensor, the indices 0, 1, ... each repeated that many times."""
    from .. import _tensor
    if repeats is None:    # repeat_interleave(repeats): the index form
        r = input._data
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        _repeats_array(input)
        out = np.repeat(np.arange(r.shape[0], dtype=r.dtype), r)
        if output_size is not None and output_size != out.shape[0]:
            raise RuntimeError("allocated size does not match required size")
        return _tensor.Tensor._wrap(out)
    r, arr = _repeats_array(repeats)
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = canon_dim(dim, input._data.ndim)
        if input._data.ndim == 0:
            input = input.reshape(-1)
    n = input._data.shape[d]
    if arr is None:
        arr = np.full(n, r, np.int64)
    elif arr.shape[0] == 1:
        arr = np.full(n, arr[0], np.int64)
    elif arr.shape[0] != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {arr.shape[0]} and input.size({d}) = {n}")
    if output_size is not None and output_size != int(arr.sum()):
        raise RuntimeError("allocated size does not match required size")
    return RepeatInterleave.apply(input, arr, d)

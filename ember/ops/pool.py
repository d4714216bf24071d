"""Pooling of any spatial rank (1-, 2- and 3-d alike).

Each window reduction is one vectorised pass per kernel offset (a handful: 4 for 2x2, 9 for 3x3)
over strided slices of the input, clipped to it so that padding is never materialised; never a
loop over positions, channels or batch items. The Functions come in adjoint pairs, so
double backward works: AvgPool / AvgPoolAdjoint, and for max pooling PlaneScatter / PlaneGather
(the gradient of a max goes to its argmax; the gradient of that is a gather at the same indices).
"""
import itertools
import math
from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from .conv import is_channels_last

__all__ = []

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class PoolGeom(NamedTuple):
    kernel: tuple
    stride: tuple
    padding: tuple    # implicit: windows are clipped to the input, nothing is copied
    dilation: tuple


def _clipped(k, geom, osize, size):
    """For kernel offset ``k``: the slices of the output and of the input that pair each window
    with its element at that offset, over the windows where that element lies inside the input
    (not in the padding, nor beyond the input for ceil_mode windows); None if there are none."""
    outs, ins = [slice(None)] * 2, [slice(None)] * 2
    for i, d, o, s, p, n in zip(k, geom.dilation, osize, geom.stride, geom.padding, size):
        first = i * d - p                       # input coordinate of window 0's element
        o0 = 0 if first >= 0 else (s - 1 - first) // s
        o1 = min(o, (n - first + s - 1) // s) if first < n else 0
        if o1 <= o0:
            return None
        outs.append(slice(o0, o1))
        ins.append(slice(first + o0 * s, first + (o1 - 1) * s + 1, s))
    return tuple(outs), tuple(ins)


def _pairs(geom, osize, size):
    offs = _offsets(geom.kernel)
    return offs, [_clipped(k, geom, osize, size) for k in offs]


def _offsets(kernel):
    return list(itertools.product(*map(range, kernel)))


def _lowest(dtype):
    return -np.inf if dtype.kind in "fc" else np.iinfo(dtype).min


def _grid(j, n, size):
    """arange(size) shaped to broadcast along output dim ``j`` of (*O)."""
    return np.arange(size).reshape((1,) * j + (size,) + (1,) * (n - j - 1))


def _alloc(xp, shape, dtype, like, fill=0):
    """A ``fill``-ed (B, C, *S) array, laid out channels-last when ``like`` is: pooling keeps
    its input's memory format, as PyTorch's does (and its passes then run channels-innermost)."""
    cl = is_channels_last(like)
    full = (shape[0], *shape[2:], shape[1]) if cl else shape
    a = xp.full(full, fill, dtype) if fill else xp.zeros(full, dtype)
    return a.transpose(0, a.ndim - 1, *range(1, a.ndim - 1)) if cl else a


def _plane_strides(size):
    return tuple(math.prod(size[j + 1:]) for j in range(len(size)))


def _onnx_pool_attrs(geom, osize, size):
    """ONNX pooling attributes; ceil_mode where the floor formula falls short of ``osize``."""
    floor = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                  zip(size, geom.kernel, geom.stride, geom.padding, geom.dilation))
    return dict(kernel_shape=list(geom.kernel), strides=list(geom.stride),
                pads=list(geom.padding) * 2, dilations=list(geom.dilation),
                ceil_mode=int(tuple(osize) != floor))


class MaxPool(Function):
    """Max over each window, and (when asked, or for backward) the flat index of the maximum
    within its input plane, as PyTorch's return_indices. Ties go to the first element in
    row-major order, NaN wins as in PyTorch."""
    _ctx_arrays = ("idx",)
    _builtin = True

    def name(self):
        return f"MaxPool{self.n}DWithIndicesBackward0"

    # d/dx = g scattered to the argmax of each window
    @staticmethod
    def forward(ctx, x, geom, osize, with_indices):
        xp, xd = x._xp, x._data
        B, C, size = xd.shape[0], xd.shape[1], xd.shape[2:]
        ctx.n = len(osize)
        offs, pairs = _pairs(geom, osize, size)
        best = _alloc(xp, (B, C) + tuple(osize), xd.dtype, xd, _lowest(xd.dtype))
        for pr in pairs:
            if pr:
                o, i = pr
                xp.maximum(best[o], xd[i], out=best[o])     # propagates NaN, as PyTorch does
        if not (with_indices or ctx.needs_input_grad[0]):
            return best, None
        # the first offset that reaches the max: count the offsets before it (padding never
        # counts as reaching it, so an all -inf window points at its first real element)
        arg = _alloc(xp, best.shape, np.uint8 if len(offs) < 256 else np.int64, xd)
        found, step = _alloc(xp, best.shape, bool, xd), _alloc(xp, best.shape, bool, xd)
        for pr in pairs[:-1]:
            if pr:
                o, i = pr
                xp.logical_or(found[o], xp.equal(xd[i], best[o], out=step[o]), out=found[o])
            arg += xp.logical_not(found, out=step)
        if xd.dtype.kind == "f" and xp.isnan(best).any():
            for n_off, pr in enumerate(pairs):     # PyTorch: the last NaN of a window wins
                if pr:
                    o, i = pr
                    xp.copyto(arg[o], n_off, where=xp.isnan(xd[i]))
        idx = _flat_index(xp, arg, offs, geom, osize, size)
        ctx.idx, ctx.plane = idx, size
        # windows that overlap may send two gradients to one input element
        ctx.unique = all(s >= d * (k - 1) + 1 for s, d, k in
                         zip(geom.stride, geom.dilation, geom.kernel))
        return best, idx

    @staticmethod
    def backward(ctx, g, _):
        return PlaneScatter.apply(g, ctx.idx, ctx.plane, ctx.unique), None, None, None

    # ONNX's indices count across the batch and channels, PyTorch's within a plane: only the
    # values are exported
    @staticmethod
    def onnx(g, ctx, x, geom, osize, with_indices):
        return g.op("MaxPool", x, **_onnx_pool_attrs(geom, osize, x.shape[2:])), None


def _flat_index(xp, arg, offs, geom, osize, size):
    """Flat index into the input plane of kernel offset ``arg`` of each window: a per-offset
    table plus a per-window base (two passes over the output)."""
    n = len(osize)
    pst = _plane_strides(size)
    koff = np.array([sum(k[j] * geom.dilation[j] * pst[j] for j in range(n)) for k in offs])
    base = sum((_grid(j, n, osize[j]) * geom.stride[j] - geom.padding[j]) * pst[j]
               for j in range(n))
    return xp.asarray(koff)[arg] + xp.asarray(base)


class AdaptiveMaxPool(Function):
    """Max over PyTorch's adaptive windows [floor(i*S/O), ceil((i+1)*S/O)) of each dim, and the
    flat index of the maximum in its input plane. All windows are gathered at once (one take per
    dim): each dim's windows are padded to the longest by repeating their last element, which
    never wins a tie."""
    _ctx_arrays = ("idx",)
    _builtin = True

    def name(self):
        return f"AdaptiveMaxPool{self.n}DBackward0"

    # d/dx = g scattered to the argmax of each window
    @staticmethod
    def forward(ctx, x, osize):
        xp, xd = x._xp, x._data
        B, C, size = xd.shape[0], xd.shape[1], xd.shape[2:]
        n = len(size)
        ctx.n, ctx.plane, ctx.unique = n, size, False
        if 0 in osize:
            out = xp.empty((B, C) + tuple(osize), xd.dtype)
            ctx.idx = xp.zeros(out.shape, np.int64)
            return out, ctx.idx
        pos = []
        for s, o in zip(size, osize):
            i = np.arange(o)
            start, end = i * s // o, -(-(i + 1) * s // o)
            pos.append(np.minimum(start[:, None] + np.arange((end - start).max()), end[:, None] - 1))
        lens = [p.shape[1] for p in pos]
        win = xd
        for j, p in enumerate(pos):      # one take per dim: (B, C, O1 * L1, O2 * L2, ..)
            win = xp.take(win, xp.asarray(p.reshape(-1)), axis=2 + j)
        win = win.reshape((B, C) + tuple(v for o, L in zip(osize, lens) for v in (o, L)))
        perm = (0, 1) + tuple(range(2, 2 + 2 * n, 2)) + tuple(range(3, 3 + 2 * n, 2))
        win = win.transpose(perm).reshape((B, C) + tuple(osize) + (math.prod(lens),))
        arg = win.argmax(-1)
        out = xp.take_along_axis(win, arg[..., None], -1)[..., 0]
        if xd.dtype.kind == "f" and xp.isnan(out).any():    # PyTorch: the last NaN wins
            nan = xp.isnan(win)
            arg = xp.where(nan.any(-1), win.shape[-1] - 1 - nan[..., ::-1].argmax(-1), arg)
        pst = _plane_strides(size)
        idx, rem = 0, arg
        for j in range(n - 1, -1, -1):
            lj, rem = rem % lens[j], rem // lens[j]
            idx = idx + xp.asarray(pos[j])[xp.asarray(_grid(j, n, osize[j])), lj] * pst[j]
        ctx.idx = idx
        return out, idx

    @staticmethod
    def backward(ctx, g, _):
        return PlaneScatter.apply(g, ctx.idx, ctx.plane, ctx.unique), None


def _rows(a):
    """(B, C, *rest) -> (B * C, prod(rest))."""
    return a.reshape(a.shape[0] * a.shape[1], math.prod(a.shape[2:]))


class PlaneScatter(Function):
    """out[b, c] (a zero plane of shape ``plane``) gets g[b, c] added at flat indices ``idx``."""
    _ctx_arrays = ("idx",)
    _builtin = True

    # d/dg = the gather of u at idx
    @staticmethod
    def forward(ctx, g, idx, plane, unique):
        xp, gd = g._xp, g._data
        B, C = gd.shape[:2]
        out = xp.zeros((B, C) + tuple(plane), gd.dtype)
        flat = (_rows(idx) + (np.arange(B * C) * math.prod(plane))[:, None]).ravel()
        if unique:
            out.reshape(-1)[flat] = gd.reshape(-1)
        else:
            np.add.at(out.reshape(-1), flat, gd.reshape(-1)) if xp is np else \
                xp.add.at(out.reshape(-1), flat, gd.reshape(-1))
        ctx.idx = idx
        return out

    @staticmethod
    def backward(ctx, u):
        return PlaneGather.apply(u, ctx.idx), None, None, None


class PlaneGather(Function):
    """out[b, c, o] = x[b, c] (flattened plane) at flat index idx[b, c, o]."""
    _ctx_arrays = ("idx",)
    _builtin = True

    # d/dx = g scattered (added) back to idx
    @staticmethod
    def forward(ctx, x, idx):
        xp, xd = x._xp, x._data
        ctx.idx, ctx.plane = idx, xd.shape[2:]
        return xp.take_along_axis(_rows(xd), _rows(idx), 1).reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        return PlaneScatter.apply(g, ctx.idx, ctx.plane, False), None


class AvgPool(Function):
    """Sum of each window divided by ``div`` (a number, or an array over the output positions
    for count_include_pad=False / ceil_mode windows). Integers divide with truncation, as PyTorch."""
    _ctx_arrays = ("div",)
    _builtin = True

    def name(self):
        return f"AvgPool{len(self.osize)}DBackward0"

    # d/dx = AvgPoolAdjoint(g): g / div added back over each window
    @staticmethod
    def forward(ctx, x, geom, osize, div):
        xp, xd = x._xp, x._data
        ctx.geom, ctx.osize, ctx.size, ctx.div = geom, osize, xd.shape[2:], div
        kind = xd.dtype.kind
        acc_dtype = np.int64 if kind in "iub" else (np.float32 if xd.dtype == np.float16
                                                    else xd.dtype)
        acc = _alloc(xp, xd.shape[:2] + tuple(osize), acc_dtype, xd)
        for pr in _pairs(geom, osize, xd.shape[2:])[1]:     # one add per kernel offset
            if pr:
                acc[pr[0]] += xd[pr[1]]
        if kind in "iub":
            q = xp.abs(acc) // div
            return (xp.sign(acc) * q).astype(xd.dtype)
        acc /= div
        return acc.astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolAdjoint.apply(g, ctx.geom, ctx.size, ctx.div), None, None, None

    @staticmethod
    def onnx(g, ctx, x, geom, osize, div):
        size = x.shape[2:]
        attrs = _onnx_pool_attrs(geom, osize, size)
        k = math.prod(geom.kernel)
        if np.ndim(div) == 0 and div == k:
            include = 1
        else:
            # count_include_pad=False: each window's count of elements inside the input
            n = len(osize)
            count = 1
            for j, (o, kk, s, p, m) in enumerate(zip(osize, geom.kernel, geom.stride,
                                                    geom.padding, size)):
                start = np.arange(o) * s - p
                c = np.minimum(start + kk, m) - np.maximum(start, 0)
                count = count * c.reshape((1,) * j + (o,) + (1,) * (n - j - 1))
            if not np.array_equal(np.broadcast_to(div, count.shape), count):
                raise g.unsupported("an average pool divisor ONNX's AveragePool cannot express")
            include = 0
        attrs.pop("dilations")
        return g.op("AveragePool", x, count_include_pad=include, **attrs)


class AvgPoolAdjoint(Function):
    """The adjoint of AvgPool: each g / div is added to every element of its window that lies
    inside the input, giving an input-shaped (``size``) result."""
    _ctx_arrays = ("div",)
    _builtin = True

    # d/dg = AvgPool(u)
    @staticmethod
    def forward(ctx, g, geom, size, div):
        xp, gd = g._xp, g._data
        osize = gd.shape[2:]
        ctx.geom, ctx.osize, ctx.div = geom, osize, div
        out = _alloc(xp, gd.shape[:2] + tuple(size), gd.dtype, gd)
        gs = (gd / div).astype(gd.dtype, copy=False)
        for pr in _pairs(geom, osize, size)[1]:
            if pr:
                out[pr[1]] += gs[pr[0]]
        return out

    @staticmethod
    def backward(ctx, u):
        return AvgPool.apply(u, ctx.geom, ctx.osize, ctx.div), None, None, None

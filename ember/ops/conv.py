"""Convolution of any spatial rank (1-, 2- and 3-d alike) as three Functions that are closed under
differentiation, so gradients of gradients come for free:

    Conv(x, w)           y = x * w (cross-correlation, as PyTorch's conv)
    ConvTranspose(g, w)  the adjoint of Conv in x: conv_transpose, and d/dx of Conv
    ConvWeight(x, g)     the adjoint of Conv in w: d/dw of Conv

Conv and ConvWeight copy a window view of the padded input once into columns (im2col) and do one
GEMM per group; the batch sits inside the GEMM's long dimension, so BLAS gets a few large products
instead of one small product per sample. ConvTranspose does the GEMM the other way and scatters
the columns back with one strided add per kernel offset (col2im).
"""
import itertools
import math
from typing import NamedTuple

from ..autograd.function import Function

__all__ = []

_KEEP_COLS = 1 << 24    # elements of im2col columns a Conv keeps for its weight gradient (64 MB)


class Geom(NamedTuple):
    """Where the windows of a convolution lie, per spatial dim."""
    stride: tuple
    lo: tuple        # zero padding before each spatial dim
    hi: tuple        # ... and after (differs from lo only for padding='same' with an even kernel)
    dilation: tuple
    groups: int


def conv_out_size(size, ksize, geom):
    """Spatial output size of a convolution of input ``size`` with kernel ``ksize``."""
    return tuple((n + a + b - d * (k - 1) - 1) // s + 1 for n, k, s, a, b, d in
                 zip(size, ksize, geom.stride, geom.lo, geom.hi, geom.dilation))


def pad(xp, a, lo, hi, value=0):
    """``a`` with its trailing ``len(lo)`` dims padded by ``value`` (no copy when no padding)."""
    if not any(lo) and not any(hi):
        return a
    n = len(lo)
    inner = a.shape[-n:]
    shape = a.shape[:-n] + tuple(s + p + q for s, p, q in zip(inner, lo, hi))
    out = xp.zeros(shape, a.dtype) if value == 0 else xp.full(shape, value, a.dtype)
    out[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(lo, inner))] = a
    return out


def _windows(xp, x, ksize, osize, geom):
    """A read-only view (B, C, *K, *O) of the padded input: element [b, c, *k, *o] is
    xpad[b, c, *(o * stride + k * dilation)]. Nothing is copied until it is reshaped."""
    a = pad(xp, x, geom.lo, geom.hi)
    st, n = a.strides, len(ksize)
    kst = tuple(st[2 + j] * geom.dilation[j] for j in range(n))
    ost = tuple(st[2 + j] * geom.stride[j] for j in range(n))
    return xp.lib.stride_tricks.as_strided(a, (*a.shape[:2], *ksize, *osize),
                                           (st[0], st[1], *kst, *ost), writeable=False)


def _im2col(xp, x, ksize, osize, geom):
    """Columns (G, C/G * K, B * O) of the padded input, so that one GEMM per group convolves:
    the window view with the batch moved next to the output positions, copied once."""
    win = _windows(xp, x, ksize, osize, geom)
    n = len(ksize)
    win = win.transpose((1, *range(2, n + 2), 0, *range(n + 2, 2 * n + 2)))
    G, C = geom.groups, x.shape[1]
    return win.reshape(G, C // G * math.prod(ksize), x.shape[0] * math.prod(osize))


def _col2im(xp, cv, xsize, geom):
    """The adjoint of the window view: ``cv`` (C, *K, B, *O), any strides, added back where each
    element was read from, then the padding cropped. Returns a contiguous (B, C, *xsize)."""
    n = len(xsize)
    C, ksize, B, osize = cv.shape[0], cv.shape[1:n + 1], cv.shape[n + 1], cv.shape[n + 2:]
    padded = tuple(s + p + q for s, p, q in zip(xsize, geom.lo, geom.hi))
    if osize[-1] <= 4 < B:
        # rows of a few elements make NumPy's strided adds slow: add with the batch innermost
        cv = cv.transpose((0, *range(1, n + 1), *range(n + 2, 2 * n + 2), n + 1))
        buf, lead = xp.zeros((C, *padded, B), cv.dtype), (slice(None),)
        back = (n + 1, 0, *range(1, n + 1))
    else:
        buf, lead = xp.zeros((C, B, *padded), cv.dtype), (slice(None), slice(None))
        back = (1, 0, *range(2, n + 2))
    for k in itertools.product(*map(range, ksize)):   # a loop over kernel offsets only
        where = tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                      for i, d, o, s in zip(k, geom.dilation, osize, geom.stride))
        buf[lead + where] += cv[(slice(None),) + k]
    crop = tuple(slice(p, p + s) for p, s in zip(geom.lo, xsize))
    return xp.ascontiguousarray(buf[lead + crop].transpose(back))


def _gemm(xp, a, b):
    """Stacked matrix product over groups; a single group is a plain 2-d GEMM."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return xp.matmul(a, b)


def _grouped(xp, g, G):
    """(B, Co, *O) -> (G, Co/G, B * O): the layout the GEMMs want (one small copy)."""
    B, Co = g.shape[:2]
    O = math.prod(g.shape[2:])
    g4 = g.reshape(B, G, Co // G, O).transpose(1, 2, 0, 3)
    return xp.ascontiguousarray(g4).reshape(G, Co // G, B * O)


def _spatial_sum(t):
    return t.sum((0,) + tuple(range(2, t.ndim)))


def _bias_view(b, n):
    return b.reshape((-1,) + (1,) * n)


class Conv(Function):
    """y = x * w + b over the spatial dims, with ``geom`` and the output size ``osize``."""
    _builtin = True

    def name(self):
        return "ConvolutionBackward0"

    # dy/dx = conv_transpose(g, w);  dy/dw = ConvWeight(x, g);  dy/db = sum of g
    @staticmethod
    def forward(ctx, x, w, b, geom, osize):
        xp, xd, wd = x._xp, x._data, w._data
        B, Co, G = xd.shape[0], wd.shape[0], geom.groups
        cols = _im2col(xp, xd, wd.shape[2:], osize, geom)
        y = _gemm(xp, wd.reshape(G, Co // G, cols.shape[1]), cols)
        y = y.reshape(Co, B, math.prod(osize)).transpose(1, 0, 2)
        out = xp.empty((B, Co) + tuple(osize), xd.dtype)
        o3 = out.reshape(B, Co, math.prod(osize))
        if b is not None:
            xp.add(y, b._data[:, None], out=o3)     # the bias rides on the layout copy
        else:
            o3[...] = y
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        # the weight gradient reads the same columns: keep them unless they are large
        ctx.cols = cols if w.requires_grad and cols.size <= _KEEP_COLS else None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geom, need = ctx.geom, ctx.needs_input_grad
        gx = ConvTranspose.apply(g, w, None, geom, tuple(x.shape[2:])) if need[0] else None
        gw = ConvWeight.apply(x, g, geom, tuple(w.shape[2:]), ctx.cols) if need[1] else None
        gb = _spatial_sum(g) if need[2] else None
        return gx, gw, gb, None, None

    @staticmethod
    def onnx(g, ctx, x, w, b, geom, osize):
        return g.op("Conv", x, w, b, kernel_shape=list(w.shape[2:]), strides=list(geom.stride),
                    pads=list(geom.lo) + list(geom.hi), dilations=list(geom.dilation),
                    group=geom.groups)


class ConvTranspose(Function):
    """y = conv_transpose(g, w) + b: the adjoint of Conv in its input, of spatial size ``xsize``;
    ``w`` has Conv's layout (C_g, C_y / groups, *K)."""
    _builtin = True

    def name(self):
        return "ConvolutionBackward0"

    # d/dg = Conv(u, w);  d/dw = ConvWeight(u, g);  d/db = sum of u
    @staticmethod
    def forward(ctx, g, w, b, geom, xsize):
        xp, gd, wd = g._xp, g._data, w._data
        G = geom.groups
        Co, Cg, ksize = wd.shape[0], wd.shape[1], wd.shape[2:]
        w2t = xp.ascontiguousarray(wd.reshape(G, Co // G, Cg * math.prod(ksize)).transpose(0, 2, 1))
        cols = _gemm(xp, w2t, _grouped(xp, gd, G))
        cv = cols.reshape((G * Cg, *ksize, gd.shape[0], *gd.shape[2:]))
        out = _col2im(xp, cv, xsize, geom)
        if b is not None:
            out += _bias_view(b._data, len(xsize))
        ctx.save_for_backward(g, w)
        ctx.geom = geom
        return out

    @staticmethod
    def backward(ctx, u):
        g, w = ctx.saved_tensors
        geom, need = ctx.geom, ctx.needs_input_grad
        gg = Conv.apply(u, w, None, geom, tuple(g.shape[2:])) if need[0] else None
        gw = ConvWeight.apply(u, g, geom, tuple(w.shape[2:])) if need[1] else None
        gb = _spatial_sum(u) if need[2] else None
        return gg, gw, gb, None, None

    @staticmethod
    def onnx(g, ctx, x, w, b, geom, xsize):
        ksize = w.shape[2:]
        # the output_padding that makes ONNX's size formula give ``xsize``
        extra = [n - ((i - 1) * s + d * (k - 1) + 1 - lo - hi) for n, i, s, d, k, lo, hi in
                 zip(xsize, x.shape[2:], geom.stride, geom.dilation, ksize, geom.lo, geom.hi)]
        return g.op("ConvTranspose", x, w, b, kernel_shape=list(ksize), strides=list(geom.stride),
                    pads=list(geom.lo) + list(geom.hi), dilations=list(geom.dilation),
                    group=geom.groups, output_padding=extra if any(extra) else None)


class ConvWeight(Function):
    """dw = the correlation of x with g, summed over the batch: the adjoint of Conv in its
    weight, of kernel size ``ksize``."""
    _builtin = True

    # d/dx = conv_transpose(g, u);  d/dg = Conv(x, u)
    @staticmethod
    def forward(ctx, x, g, geom, ksize, cols=None):
        xp, xd, gd = x._xp, x._data, g._data
        G = geom.groups
        if cols is None:
            cols = _im2col(xp, xd, ksize, gd.shape[2:], geom)
        # cols @ g^T (then a tiny transpose) runs faster in BLAS than g @ cols^T
        gw = _gemm(xp, cols, _grouped(xp, gd, G).transpose(0, 2, 1)).transpose(0, 2, 1)
        ctx.save_for_backward(x, g)
        ctx.geom = geom
        return xp.ascontiguousarray(gw).reshape((gd.shape[1], xd.shape[1] // G) + tuple(ksize))

    @staticmethod
    def backward(ctx, u):
        x, g = ctx.saved_tensors
        geom, need = ctx.geom, ctx.needs_input_grad
        gx = ConvTranspose.apply(g, u, None, geom, tuple(x.shape[2:])) if need[0] else None
        gg = Conv.apply(x, u, None, geom, tuple(g.shape[2:])) if need[1] else None
        return gx, gg, None, None, None


class Im2Col(Function):
    """F.unfold: (N, C, *S) -> (N, C * K, L), the sliding blocks as columns (a copy of the
    window view Conv uses); its adjoint is Col2Im."""
    _builtin = True

    @staticmethod
    def forward(ctx, x, ksize, osize, geom):
        win = _windows(x._xp, x._data, ksize, osize, geom)
        ctx.args = (tuple(x.shape[2:]), ksize, geom)
        return win.reshape(x.shape[0], x.shape[1] * math.prod(ksize), math.prod(osize))

    @staticmethod
    def backward(ctx, g):
        xsize, ksize, geom = ctx.args
        osize = conv_out_size(xsize, ksize, geom)
        return Col2Im.apply(g, xsize, ksize, osize, geom), None, None, None


class Col2Im(Function):
    """F.fold: (N, C * K, L) -> (N, C, *xsize), overlapping blocks summed; its adjoint is
    Im2Col."""
    _builtin = True

    @staticmethod
    def forward(ctx, cols, xsize, ksize, osize, geom):
        cd, n = cols._data, len(ksize)
        N, C = cd.shape[0], cd.shape[1] // math.prod(ksize)
        cv = cd.reshape((N, C, *ksize, *osize)).transpose(
            (1, *range(2, n + 2), 0, *range(n + 2, 2 * n + 2)))
        ctx.args = (ksize, osize, geom)
        return _col2im(cols._xp, cv, xsize, geom)

    @staticmethod
    def backward(ctx, g):
        ksize, osize, geom = ctx.args
        return Im2Col.apply(g, ksize, osize, geom), None, None, None, None

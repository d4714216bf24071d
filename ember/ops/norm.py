"""Normalisation cores: batch, layer, group and instance norm as one Function each, sharing one
fused forward (statistics, normalisation and the affine map in a few NumPy passes) and one
analytic backward written in ember ops.

The geometry says where the statistics and the affine parameters lie:

    stat_shape  the shape ``x`` is viewed as for the statistics (group norm: (N, G, rest))
    axes        the dims of that view the statistics reduce over
    affine      the shape weight and bias are viewed as to broadcast against ``x``
    paxes       the dims of ``x`` their gradients sum over

With batch statistics (training) the gradient is

    dx = invstd * (dy' - mean(dy') - xhat * mean(dy' * xhat)),   dy' = dy * weight

over the statistics' axes; with given statistics (eval) it is dy' * invstd. The gradient is a
Function of its own, ``NormGrad`` (forward on arrays, backward in ember ops), so a plain backward
runs a few array passes and double backward is exact with one formula.
"""
import math
from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from . import _parallel

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class NormGeom(NamedTuple):
    stat_shape: tuple
    axes: tuple
    affine: tuple
    paxes: tuple


class _Norm(Function):
    _builtin = True

    @staticmethod
    @_parallel.hold(size=lambda ctx, x, *a: x._data.nbytes)
    def forward(ctx, x, weight, bias, running_mean, running_var, geom, eps, batch_stats,
                momentum):
        xd = x._data
        xp = x._xp
        shape = xd.shape
        w = weight._data.reshape(geom.affine) if weight is not None else None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if batch_stats:
                xs = xd.reshape(geom.stat_shape)
                split = _split_stats(xp, xs, geom.axes)
                if split is not None:
                    mean, var, d = split
                else:
                    mean = _channel_sum(xp, xs, geom.axes)
                    mean = mean / max(xs.size // max(mean.size, 1), 1) if mean is not None \
                        else xs.mean(geom.axes, keepdims=True)
                    d = xs - mean                  # our buffer: the rest works in place on it
                    sq = _channel_sum(xp, d, geom.axes, square=True)
                    var = (sq if sq is not None else _sum_squares(xp, d, geom.axes)) / \
                        max(xs.size // max(mean.size, 1), 1)
                if (running_mean is not None or running_var is not None) and xs.size:
                    _update_running(running_mean, running_var, mean, var, momentum,
                                    xs.size // max(mean.size, 1))
                invstd = 1.0 / xp.sqrt(var + eps)
            else:
                mean = running_mean._data.reshape(geom.affine).astype(xd.dtype, copy=False)
                var = running_var._data.reshape(geom.affine).astype(xd.dtype, copy=False)
                invstd = 1.0 / xp.sqrt(var + eps)
                d = xd - mean
            scale = invstd
            if w is not None and _folds(invstd.shape, w.shape):   # per-channel: one small product
                scale, w = invstd * w, None
            y = d.reshape(shape)
            b = bias._data.reshape(geom.affine) if bias is not None else None

            def affine(b0, b1):
                dc = d[b0:b1]
                dc *= scale
                if w is not None:
                    y[b0:b1] *= w
                if b is not None:
                    y[b0:b1] += b
            if d.shape[:1] == shape[:1] and (scale.ndim < d.ndim or scale.shape[0] == 1):
                _parallel.over_batch(xp, d, affine)     # (statistics shared by the batch)
            else:
                affine(0, d.shape[0])
        ctx.geom, ctx.eps, ctx.batch_stats = geom, eps, batch_stats
        ctx.bias_shape = tuple(bias.shape) if bias is not None else None
        ctx.save_for_backward(x, weight, x._wrap(mean), x._wrap(invstd))
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, mean, invstd = ctx.saved_tensors
        need = ctx.needs_input_grad
        grads = NormGrad.apply(g, x, w, mean, invstd, ctx.geom, ctx.eps, ctx.batch_stats,
                               ctx.bias_shape, (need[0], need[1], need[2]))
        gx = grads[0]
        if gx is not None and x.grad_fn is None and x._data.flags.c_contiguous and \
                not gx._data.flags.c_contiguous:
            # the gradient comes in g's layout; an NCHW leaf's .grad is NCHW, as in PyTorch
            grads = (gx.contiguous(),) + tuple(grads[1:])
        return grads + (None,) * 6

    @classmethod
    def onnx(cls, graph, ctx, x, weight, bias, running_mean, running_var, geom, eps, batch_stats,
             momentum):
        geom, eps, shape = ctx.geom, float(ctx.eps), x.shape
        dt = x.dtype
        n = len(shape)
        per_channel = n >= 2 and tuple(geom.affine) == (shape[1],) + (1,) * (n - 2)
        if not batch_stats and per_channel:
            # eval batch norm: ONNX's BatchNormalization with the running statistics
            C = shape[1]
            w = weight if weight is not None else graph.const(np.ones(C, dt))
            b = bias if bias is not None else graph.const(np.zeros(C, dt))
            return graph.op("BatchNormalization", x, w, b, graph.cast(running_mean, dt),
                        graph.cast(running_var, dt), epsilon=eps)
        k = len(geom.affine)
        tail = tuple(range(n - k, n))
        if batch_stats and cls.__name__ == "NativeLayerNorm" and graph.opset >= 17 and \
                tuple(geom.axes) == tail and tuple(geom.stat_shape) == tuple(shape):
            w = weight if weight is not None else graph.const(np.ones(geom.affine, dt))
            return graph.op("LayerNormalization", x, w, bias, axis=-k, epsilon=eps)
        if batch_stats:
            # the statistics over ``axes`` of ``x`` viewed as ``stat_shape`` (group norm:
            # (N, G, rest), whose first dim is the input's)
            grouped = tuple(geom.stat_shape) != tuple(shape)
            xs = graph.op("Reshape", x, graph.ints([0] + list(geom.stat_shape[1:-1]) + [-1])) \
                if grouped else x
            d = graph.op("Sub", xs, graph.reduce("ReduceMean", xs, geom.axes, True))
            var = graph.reduce("ReduceMean", graph.op("Mul", d, d), geom.axes, True)
            y = graph.op("Div", d, graph.op("Sqrt", graph.op("Add", var, graph.scalar(eps, dt))))
            if grouped:
                y = graph.op("Reshape", y, graph.op("Shape", x))
        else:
            mean = graph.op("Reshape", graph.cast(running_mean, dt), graph.ints(geom.affine))
            var = graph.op("Reshape", graph.cast(running_var, dt), graph.ints(geom.affine))
            y = graph.op("Div", graph.op("Sub", x, mean),
                         graph.op("Sqrt", graph.op("Add", var, graph.scalar(eps, dt))))
        if weight is not None:
            y = graph.op("Mul", y, graph.op("Reshape", weight, graph.ints(geom.affine)))
        if bias is not None:
            y = graph.op("Add", y, graph.op("Reshape", bias, graph.ints(geom.affine)))
        return y


class NormGrad(Function):
    """(gx, gw, gb): the gradient of a normalisation for ``want``, in a few array passes working
    in place on one buffer. ``mean`` and ``invstd`` are the statistics forward used.

    Its own gradient for (ux, uw, ub), written in ember ops with the statistics recomputed from
    x (so that every further order is exact too), with P the projection
    P(v) = v - mean(v) - xhat * mean(v * xhat) over the statistics' axes and s = invstd:

        dg = ub + uw * xhat + w * s * P(ux)
        dw = sum(g * s * P(ux))
        dx = s * P(uw * g)
             + s^2 * (xhat * (3 mean(ux xhat) C - cov(ux, gy)) - C (ux - mean(ux))
                      - mean(ux xhat) (gy - mean(gy))),      gy = g * w,  C = mean(gy xhat)

    With given statistics (eval) gx = gy * s is linear in x's data, and dx = s * uw * g."""
    _builtin = True

    @staticmethod
    @_parallel.hold(size=lambda ctx, g, *a: g._data.nbytes)
    def forward(ctx, g, x, w, mean, invstd, geom, eps, batch, bias_shape, want):
        xd, gd, inv, xp = x._data, g._data, invstd._data, x._xp
        shape, axes = xd.shape, geom.axes
        S = geom.stat_shape if batch else shape
        wv = w._data.reshape(geom.affine) if w is not None else None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gx = gw = gb = None
            fast = batch and _per_channel(xp, gd, axes) and (wv is None or _folds(inv.shape,
                                                                                wv.shape))
            if fast:
                gx, sgx, sg = _bn_grad(xp, gd, xd, mean._data, inv, wv, want[0])
                if want[1]:
                    gw = sgx.reshape(w.shape)
                if want[2]:
                    gb = sg.reshape(bias_shape)
            elif batch and S == shape and (wv is None or _folds(inv.shape, wv.shape)):
                xhat = _xhat(xd, mean._data, inv, S, shape)
                # batch and instance norm: the input gradient reuses the parameter gradients'
                # sums
                n = math.prod(S[a] for a in axes)
                sgx = (gd * xhat).sum(axes, keepdims=True)
                sg = gd.sum(axes, keepdims=True)
                rest = tuple(a for a in geom.paxes if a not in axes)
                if want[1]:
                    gw = sgx.sum(rest).reshape(w.shape)
                if want[2]:
                    gb = sg.sum(rest).reshape(bias_shape)
                if want[0]:
                    gx = xhat
                    gx *= -sgx / n
                    gx += gd
                    gx -= sg / n
                    gx *= inv * wv if wv is not None else inv
            else:
                xhat = _xhat(xd, mean._data, inv, S, shape)
                if want[1]:
                    gw = (gd * xhat).sum(geom.paxes).reshape(w.shape)
                if want[2]:
                    gb = gd.sum(geom.paxes).reshape(bias_shape)
                if want[0]:
                    gy = gd * wv if wv is not None else gd
                    if batch:
                        gys, xh = gy.reshape(S), xhat.reshape(S)
                        gx = gys - gys.mean(axes, keepdims=True)
                        gx -= xh * (gys * xh).mean(axes, keepdims=True)
                        gx *= inv
                        gx = gx.reshape(shape)
                    else:
                        gx = gy * inv
        ctx.save_for_backward(g, x, w, mean, invstd)
        ctx.geom, ctx.eps, ctx.batch = geom, eps, batch
        ctx.set_materialize_grads(False)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ux, uw, ub):
        g, x, w, mean, s = ctx.saved_tensors
        geom, need, batch = ctx.geom, ctx.needs_input_grad, ctx.batch
        shape = tuple(x.shape)
        S, axes = (geom.stat_shape if batch else shape), geom.axes
        xs = x.reshape(S)
        if batch:   # the statistics as functions of x
            mean = xs.mean(axes, keepdim=True)
            s = (xs.var(axes, correction=0, keepdim=True) + ctx.eps).rsqrt()
        xh = (xs - mean) * s                           # the statistics' view S

        def M(v):
            return v.mean(axes, keepdim=True)

        def P(v):
            return v - M(v) - xh * M(v * xh) if batch else v

        def full(v):
            return v.reshape(shape)

        wv = w.reshape(geom.affine) if w is not None else None
        uwv = uw.reshape(geom.affine) if uw is not None else None
        su = full(s * P(ux.reshape(S))) if ux is not None else None   # s * P(ux)
        dg = dx = dw = None
        if need[0]:
            parts = []
            if ub is not None:
                parts.append(ub.reshape(geom.affine).expand(shape))
            if uwv is not None:
                parts.append(uwv * full(xh))
            if su is not None:
                parts.append(su * wv if wv is not None else su)
            for p in parts:
                dg = p if dg is None else dg + p
        if need[2] and su is not None:
            dw = _sum(g * su, geom.paxes).reshape(tuple(w.shape))
        if need[1]:
            if uwv is not None:
                dx = full(s * P((uwv * g).reshape(S)))
            if ux is not None and batch:
                us = ux.reshape(S)
                gy = (g * wv if wv is not None else g).reshape(S)
                C, mux, mgy = M(gy * xh), M(us * xh), M(gy)
                t = xh * (3 * mux * C - (M(us * gy) - M(us) * mgy)) \
                    - C * (us - M(us)) - mux * (gy - mgy)
                t = full(s * s * t)
                dx = t if dx is None else dx + t
        if dx is not None and dx.shape != x.shape:
            dx = dx.expand(x.shape)
        return dg, dx, dw, None, None, None, None, None, None, None


def _xhat(xd, mean, inv, S, shape):
    xhat = xd.reshape(S) - mean
    xhat *= inv
    return xhat.reshape(shape)


def _per_channel(xp, gd, axes):
    """Whether batch norm's gradient can take the GEMV path: a float NumPy array of rank 3 to 5
    with statistics per channel (``axes`` all but dim 1)."""
    n = gd.ndim
    return (xp.__name__ == "numpy" and 3 <= n <= 5 and tuple(axes) == (0, *range(2, n))
            and gd.dtype in (np.float32, np.float64) and gd.size > 0)


def _layout_of(gd):
    """(empty, matrix): how batch norm's backward lays out its buffers. In a channels-last ``g``'s
    layout when ``g`` is channels-last (the gradient a convolution hands down), else NCHW; the
    gradient flows on in that layout, so neither this backward nor the convolution below it
    transposes ``g``. ``matrix(a)`` views such a buffer as (pixels, C) or (B * C, pixels)."""
    from .memory_format import channels_last, channels_last_3d, is_contiguous_as
    fmt = {4: channels_last, 5: channels_last_3d}.get(gd.ndim)
    C, n = gd.shape[1], gd.ndim
    if fmt is not None and C > 1 and is_contiguous_as(gd, fmt):
        order = (0, *range(2, n), 1)
        back = tuple(order.index(d) for d in range(n))
        shape = tuple(gd.shape[d] for d in order)
        return (lambda: np.empty(shape, gd.dtype).transpose(back),
                lambda a: a.transpose(order).reshape(-1, C), True)
    return (lambda: np.empty(gd.shape, gd.dtype),
            lambda a: a.reshape(-1, math.prod(gd.shape[2:])), False)


def _csum(m, cl, C):
    """Per-channel sums of a buffer's matrix (see _layout_of) as one GEMV."""
    if cl:
        return np.ones(m.shape[0], m.dtype) @ m
    return (m @ np.ones(m.shape[1], m.dtype)).reshape(-1, C).sum(0)


def _chunks(a):
    """(start, stop) blocks of the batch of about _CHUNK_BYTES each."""
    return _parallel.spans(a.shape[0], _CHUNK_BYTES // max(a[:1].nbytes, 1))


# batch norm runs its passes a few images at a time, so that after the first read of a chunk
# the later passes find it in the core's cache (about this many bytes per array)
_CHUNK_BYTES = 1 << 20


def _bn_grad(xp, gd, xd, mean, inv, wv, want_x):
    """Batch norm's gradient from per-channel sums taken as GEMVs, in g's layout and a few
    in-place passes: with d = x - mean, a = invstd * weight and n values per channel,

        gx = a * (g - sum(g) / n - d * invstd^2 * sum(g d) / n) = a g + b d + c

    for per-channel b and c. Returns (gx or None, sum(g xhat), sum(g))."""
    empty, mat, cl = _layout_of(gd)
    C, n = gd.shape[1], gd.size // gd.shape[1]
    if not cl and not gd.flags.c_contiguous:
        gd = np.ascontiguousarray(gd)
    relayout = cl and not _layout_of(xd)[2]
    chunks = _chunks(gd)
    d = empty()                              # x - mean, then the gradient, in place

    per = d[:1].size                         # values per image

    def flat(a):
        """A chunk (k, C, *S) in d's layout as (k, per) rows in memory order."""
        return (a.transpose(0, *range(2, a.ndim), 1) if cl else a).reshape(a.shape[0], per)

    def row(v):
        """A per-channel vector as one image's row of ``flat``: channel by channel a whole
        row of values goes through NumPy's loop at once, where broadcasting (C,) against
        channels-last data runs a loop of C values per pixel (2.5 times slower at C = 32)."""
        v = v.reshape(-1)
        return np.tile(v, per // C) if cl else np.repeat(v, per // C)

    def sums(b0, b1):
        dc, gc = flat(d[b0:b1]), flat(gd[b0:b1])
        t = _parallel.scratch(dc.size, d.dtype).reshape(dc.shape)
        if relayout:
            # x laid out as g by the layout copy (faster than a subtraction across layouts,
            # which steps through x by whole planes), then centred in place
            from .conv import _copy_cl_part
            _copy_cl_part(np, d[b0:b1].transpose(0, *range(2, d.ndim), 1),
                          xd[b0:b1].transpose(0, *range(2, d.ndim), 1))
            dc -= mrow
        else:
            np.subtract(flat(xd[b0:b1]), mrow, out=dc)
        np.multiply(gc, dc, out=t)
        return _csum(mat(gd[b0:b1]), cl, C), _csum(t.reshape(-1, C) if cl else
                                                 t.reshape(-1, per // C), cl, C)
    mrow = row(mean)
    sg = np.zeros(C, d.dtype)
    sgd = np.zeros(C, d.dtype)
    for a, b in _parallel.run(np, chunks, sums, gd.nbytes):    # summed in chunk order
        sg += a
        sgd += b
    inv = inv.reshape(-1)
    sgx = sgd * inv
    if not want_x:
        return None, sgx, sg
    a = inv * wv.reshape(-1) if wv is not None else inv
    b, c, a = row(-a * inv * sgx / n), row(-a * sg / n), row(a)

    def combine(b0, b1):
        dc = flat(d[b0:b1])
        t = _parallel.scratch(dc.size, d.dtype).reshape(dc.shape)
        dc *= b
        dc += c
        np.multiply(flat(gd[b0:b1]), a, out=t)
        dc += t
    _parallel.run(np, chunks, combine, gd.nbytes)
    return d, sgx, sg


def _split_stats(xp, xs, axes):
    """(mean, biased var, x - mean) of per-channel batch statistics, in chunks of the batch
    split over ember's threads (partial sums added in chunk order); None when the array is small
    or the GEMV sums do not apply."""
    n = xs.ndim
    if (not _per_channel(xp, xs, axes) or _parallel.threads(xp, xs.nbytes) < 2
            or not (xs.flags.c_contiguous or xs.transpose(0, *range(2, n), 1).flags.c_contiguous)):
        return None
    chunks, count = _chunks(xs), xs.size // xs.shape[1]
    total = None
    for part in _parallel.run(xp, chunks, lambda b0, b1: _channel_sum(xp, xs[b0:b1], axes)):
        total = part if total is None else total + part
    mean = total / count
    d = np.empty_like(xs)

    def centre(b0, b1):
        dc = d[b0:b1]
        np.subtract(xs[b0:b1], mean, out=dc)
        sq = _channel_sum(xp, dc, axes, square=True)
        return sq if sq is not None else _sum_squares(xp, dc, axes)
    total = None
    for part in _parallel.run(xp, chunks, centre):
        total = part if total is None else total + part
    return mean, total / count, d


def _folds(stat_shape, w_shape):
    """Whether invstd * weight is no bigger than invstd (the weight is constant over the
    statistics' dims), so the two fold into one per-channel scale."""
    try:
        full = np.broadcast_shapes(stat_shape, w_shape)
    except ValueError:
        return False
    return math.prod(full) == math.prod(stat_shape)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _sum_squares(xp, d, axes):
    """sum(d * d) over ``axes`` (keepdims) in one pass without a temporary, through einsum."""
    if d.dtype not in (np.float32, np.float64) or d.ndim > len(_LETTERS):
        return (d * d).sum(axes, keepdims=True)
    ix = _LETTERS[:d.ndim]
    out = "".join(c for i, c in enumerate(ix) if i not in axes)
    r = xp.einsum(f"{ix},{ix}->{out}", d, d)
    return r.reshape(tuple(1 if i in axes else s for i, s in enumerate(d.shape)))


def _channel_sum(xp, a, axes, square=False):
    """Per-channel sums for batch norm (``axes`` = all but dim 1) as one GEMV, ``ones @ x``,
    several times faster than NumPy's strided reduction: over the (N*H*W, C) matrix of a
    channels-last array, or the (N*C, H*W) rows of a contiguous one. ``square`` sums a * a
    (channels-last only: contiguous arrays have the einsum). None where it does not apply."""
    n = a.ndim
    if n < 3 or tuple(axes) != (0, *range(2, n)) or a.dtype not in (np.float32, np.float64) \
            or a.size == 0:
        return None
    C, keep = a.shape[1], (1, a.shape[1]) + (1,) * (n - 2)
    cl = a.transpose(0, *range(2, n), 1)
    if cl.flags.c_contiguous:
        m = cl.reshape(-1, C)
        return (xp.ones(m.shape[0], a.dtype) @ (m * m if square else m)).reshape(keep)
    if a.flags.c_contiguous and not square:
        rows = a.reshape(a.shape[0] * C, -1)
        return (rows @ xp.ones(rows.shape[1], a.dtype)).reshape(a.shape[0], C).sum(0).reshape(keep)
    return None


def _sum(t, axes):
    # an empty dim list means "all dims" to sum(); here it means none
    return t.sum(axes) if axes else t


def _update_running(running_mean, running_var, mean, var, momentum, n):
    """running = (1 - momentum) * running + momentum * batch statistic (the unbiased variance);
    per-instance statistics (instance norm) are averaged over the batch first."""
    for buf, stat in ((running_mean, mean), (running_var, var)):
        if buf is None:
            continue
        r = buf._data
        s = stat.reshape(-1, r.size).mean(0).reshape(r.shape)
        if buf is running_var:
            s = s * (n / (n - 1)) if n > 1 else s * np.nan   # 0/0, as PyTorch
        r *= 1 - momentum
        r += (momentum * s).astype(r.dtype, copy=False)
        buf._vc.value += 1


class NativeBatchNorm(_Norm):
    pass


class NativeLayerNorm(_Norm):
    pass


class NativeGroupNorm(_Norm):
    pass


def normalize(cls, x, weight, bias, geom, eps, running_mean=None, running_var=None,
              batch_stats=True, momentum=0.1):
    """Run normalisation Function ``cls``."""
    return cls.apply(x, weight, bias, running_mean, running_var, geom, eps, batch_stats,
                     momentum)

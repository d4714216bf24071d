"""Constant padding (negative pads crop), closed under differentiation: its adjoint is itself
with the pads negated. F.pad's reflect, replicate and circular modes are index_select
compositions in nn.functional."""
from ..autograd.function import Function

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def pad_pairs(pads, ndim):
    """F.pad's flat list (last dim first) as {dim: (before, after)}."""
    return {ndim - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)}


class ConstantPadNd(Function):
    _builtin = True

    # out = x surrounded by ``value`` (negative pads crop);  d/dx = g with the pads negated
    @staticmethod
    def forward(ctx, x, pads, value):
        xd = x._data
        shape = list(xd.shape)
        src, dst = [slice(None)] * xd.ndim, [slice(None)] * xd.ndim
        for d, (lo, hi) in pad_pairs(pads, xd.ndim).items():
            n = shape[d]
            kept = n + min(lo, 0) + min(hi, 0)
            if kept < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            start = max(-lo, 0)
            src[d] = slice(start, start + kept)
            dst[d] = slice(max(lo, 0), max(lo, 0) + kept)
            shape[d] = kept + max(lo, 0) + max(hi, 0)
        if value == 0:
            out = x._xp.zeros(shape, xd.dtype)
        else:
            out = x._xp.full(shape, value, xd.dtype)
        out[tuple(dst)] = xd[tuple(src)]
        ctx.pads = tuple(-p for p in pads)
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPadNd.apply(g, ctx.pads, 0), None, None

    @staticmethod
    def onnx(graph, ctx, x, pads, value):
        n = len(x.shape)
        lo, hi = [0] * n, [0] * n
        for d, (a, b) in pad_pairs(pads, n).items():
            lo[d], hi[d] = a, b
        return graph.op("Pad", x, graph.ints(lo + hi), graph.scalar(value, x.dtype), mode="constant")

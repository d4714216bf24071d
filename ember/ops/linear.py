"""The affine map of nn.Linear as one op: y = x W^T + b (one graph node, not three)."""
from ..autograd.function import Function

__all__ = []


class Linear(Function):
    _builtin = True

    # dy/dx = g W;  dy/dW = g^T x (summed over batch dims);  dy/db = sum of g over batch dims
    @staticmethod
    def forward(ctx, x, w, b=None):
        xd, wd = x._data, w._data
        if xd.ndim == 0 or xd.shape[-1] != wd.shape[-1]:
            rows = xd.size // xd.shape[-1] if xd.ndim and xd.shape[-1] else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"({rows}x{xd.shape[-1] if xd.ndim else 1} and "
                               f"{wd.shape[-1]}x{wd.shape[0]})")
        if xd.dtype != wd.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{x.dtype._short.lower()} != {w.dtype._short.lower()}")
        out = xd @ wd.T
        if b is not None:
            out += b._data
        ctx.save_for_backward(x, w)
        ctx.has_bias = b is not None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = g.matmul(w) if need[0] else None
        gw = gb = None
        if need[1]:
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = g2.t().mm(x2)
        if ctx.has_bias and need[2]:
            gb = g.sum(tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return gx, gw, gb

"""The affine map of nn.Linear as one op: y = x W^T + b (one graph node, not three)."""
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE

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
        if not STATE.enabled:
            return Linear._backward_arrays(g, x, w, need, ctx.has_bias)
        gx = g.matmul(w) if need[0] else None
        gw = gb = None
        if need[1]:
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = g2.t().mm(x2)
        if ctx.has_bias and need[2]:
            gb = g.sum(tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return gx, gw, gb

    @staticmethod
    def _backward_arrays(g, x, w, need, has_bias):
        """The same formulas on the arrays: a plain backward (no graph of the gradient to build)
        is the hot path of every MLP step, and skipping ~6 graph-less op calls matters there."""
        gd, xd, wd = g._data, x._data, w._data
        wrap = Tensor._wrap
        gx = wrap(gd @ wd) if need[0] else None
        gw = gb = None
        if need[1]:
            g2 = gd.reshape(-1, gd.shape[-1]) if gd.ndim != 2 else gd
            x2 = xd.reshape(-1, xd.shape[-1]) if xd.ndim != 2 else xd
            gw = wrap(g2.T @ x2)
        if has_bias and need[2]:
            gb = wrap(gd.sum(axis=tuple(range(gd.ndim - 1))) if gd.ndim > 1 else gd.copy())
        return gx, gw, gb

    @staticmethod
    def onnx(g, ctx, x, w, b=None):
        if len(x.shape) == 2:
            return g.op("Gemm", x, w, b, transB=1)
        y = g.op("MatMul", x, g.op("Transpose", w, perm=[1, 0]))
        return y if b is None else g.op("Add", y, b)

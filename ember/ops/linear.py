"""The affine map of nn.Linear as one op: y = x W^T + b (one graph node, not three).

Its gradient is a Function of its own, ``LinearGrad`` (forward on arrays, backward in ember ops),
as ``ops/conv.py``'s adjoints are: a plain backward runs three array products, and under
``create_graph`` the same node records itself, so double backward is exact with one formula.
"""
from ..autograd.function import Function

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


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
        # a matrix input through ndarray.dot: the same BLAS product as @, with less wrapper
        out = xd.dot(wd.T) if xd.ndim == 2 else xd @ wd.T
        if b is not None:
            out += b._data
        ctx.save_for_backward(x, w)
        ctx.has_bias = b is not None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return LinearGrad.apply(g, x, w, (need[0], need[1], ctx.has_bias and need[2]))

    @staticmethod
    def onnx(graph, ctx, x, w, b=None):
        if len(x.shape) == 2:
            return graph.op("Gemm", x, w, b, transB=1)
        y = graph.op("MatMul", x, graph.op("Transpose", w, perm=[1, 0]))
        return y if b is None else graph.op("Add", y, b)


def _rows(a):
    """``a`` as a matrix of rows: its batch dims folded into one (a view)."""
    return a.reshape(-1, a.shape[-1]) if a.ndim != 2 else a


class LinearGrad(Function):
    """(gx, gw, gb) = (g W, g^T x, sum of g over batch dims): Linear's gradient for ``want``.

    It is linear in g, so its own gradient for (ux, uw, ub) is
    dg = ux W^T + x uw^T + ub,  dx = g uw,  dW = g^T ux."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, x, w, want):
        gd, xd, wd = g._data, x._data, w._data
        gx = (gd.dot(wd) if gd.ndim == 2 else gd @ wd) if want[0] else None
        gw = _rows(gd).T.dot(_rows(xd)) if want[1] else None
        gb = None
        if want[2]:
            gb = gd.sum(axis=tuple(range(gd.ndim - 1))) if gd.ndim > 1 else gd.copy()
        ctx.save_for_backward(g, x, w)
        ctx.set_materialize_grads(False)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ux, uw, ub):
        g, x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        dg = dx = dw = None
        if need[0]:
            parts = []
            if ux is not None:
                parts.append(ux.matmul(w.t()))
            if uw is not None:
                parts.append(_rows(x).mm(uw.t()).reshape(g.shape))
            if ub is not None:
                parts.append(ub.expand(g.shape))
            for p in parts:
                dg = p if dg is None else dg + p
        if need[1] and uw is not None:
            dx = _rows(g).mm(uw).reshape(x.shape)
        if need[2] and ux is not None:
            dw = _rows(g).t().mm(_rows(ux))
        return dg, dx, dw, None

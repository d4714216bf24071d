"""In-place fills: zero_, fill_, copy_ and the random initialisers (normal_, uniform_ …)."""
from .. import _tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE

__all__ = ["FillMethods"]


class Fill(Function):
    _builtin = True

    # fill(a, v): d/da = 0, d/dv = sum(g)
    @staticmethod
    def forward(ctx, a, value):
        v = value._data if isinstance(value, _tensor.Tensor) else value
        if isinstance(value, _tensor.Tensor) and value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return a._xp.full(a._data.shape, v, a._data.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * 0, (g.sum() if ctx.needs_input_grad[1] else None)


class Copy(Function):
    _builtin = True

    # copy(a, src): d/da = 0, d/dsrc = g (summed to src's shape by the engine)
    @staticmethod
    def forward(ctx, a, src):
        import numpy as np
        try:
            shape = np.broadcast_shapes(a._data.shape, src._data.shape)
        except ValueError:
            shape = None
        if shape != a._data.shape:
            raise RuntimeError(f"The size of tensor a ({a._data.shape[-1] if a._data.ndim else 1})"
                               f" must match the size of tensor b ({src._data.shape[-1]}) at "
                               f"non-singleton dimension {max(a._data.ndim - 1, 0)}")
        ctx.src = (src.dtype, src.device)
        data = src._data
        if src.device != a.device:
            data = src.to(a.device)._data
        out = a._xp.empty_like(a._data)
        out[...] = data
        return out

    @staticmethod
    def backward(ctx, g):
        dt, dev = ctx.src
        return g * 0, g.to(dtype=dt, device=dev)


class FillMethods:
    __slots__ = ()

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if STATE.enabled and (self._rg or getattr(value, "_rg", False)):
            return self._inplace(Fill, value)
        self._check_inplace()
        self._data[...] = value._data if isinstance(value, _tensor.Tensor) else value
        self._vc.value += 1
        return self

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, _tensor.Tensor):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(src).__name__}")
        if STATE.enabled and (self._rg or src._rg):
            return self._inplace(Copy, src)
        self._data[...] = Copy.forward(_NoCtx(), self, src)
        self._vc.value += 1
        return self


class _NoCtx:
    """A scratch ctx for calling a forward directly outside the graph."""

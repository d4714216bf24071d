"""Copies and conversions between dtypes and devices."""

from .._device import xp_for
from ..autograd.function import Function
from ._util import quiet

__all__ = ["Clone", "ToCopy"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class Clone(Function):
    _builtin = True

    # d clone = identity
    @staticmethod
    def forward(ctx, a):
        return a._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Identity", a)


class ToCopy(Function):
    _builtin = True

    # d to(dtype, device) = to(input's dtype, input's device); complex -> real keeps the real part
    @staticmethod
    def forward(ctx, a, dtype, device):
        src = a.device
        ctx.src = (a.dtype, src)
        data = a._data
        if device is not src and device != src:
            if device.type == "cpu":
                data = data.get()
            else:
                xp = xp_for(device)
                with xp.cuda.Device(device.index or 0):
                    data = xp.asarray(data)
        if data.dtype != dtype.np:
            if data.dtype.kind == "c" and not dtype.is_complex:
                data = data.real
            # nan/inf to int: PyTorch's values, no warning (a bool source cannot warn)
            data = data.astype(dtype.np) if data.dtype.kind == "b" else \
                quiet(data.astype, dtype.np)
        elif data is a._data:
            data = data.copy()
        return data

    @staticmethod
    def backward(ctx, g):
        dt, dev = ctx.src
        return g.to(dtype=dt, device=dev), None, None

    @staticmethod
    def onnx(graph, ctx, a, dtype, device):
        out = graph.cast(a, graph.out[0].dtype)
        return graph.op("Identity", out) if out is a else out

"""clamp / clamp_min / clamp_max as Functions: scalar and tensor bounds, PyTorch's promotion, and
the gradient masks of the bounds that won."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from .unary import _wrap

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


# -- clamp --------------------------------------------------------------------------------

class Clamp(Function):
    """clamp(x, lo, hi) = min(max(x, lo), hi), with number or tensor bounds (either may be None).

    Gradients as PyTorch: to x where lo <= x <= hi; to lo where x < lo < hi; to hi where x > hi
    or hi < lo (NaN anywhere gives none). The masks are computed in forward, only for the
    inputs that need a gradient, and kept as bool tensors of places where the gradient is 0."""

    _builtin = True
    _node = "ClampBackward0"

    @classmethod
    def forward(cls, ctx, a, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x = a._data
        dt = a.dtype
        number = (int, float)
        if not (dt.category == D._FLOAT and lo.__class__ in number + (type(None),)
                and hi.__class__ in number + (type(None),)):
            dt = D.result_type_of([a] + [b for b in (lo, hi) if b is not None])
            if x.dtype != dt.np:
                x = x.astype(dt.np)
        lo_a, hi_a = _bound(lo, dt), _bound(hi, dt)
        try:
            # one bound: a single ufunc call is cheaper than np.clip's Python wrapper
            out = np.maximum(x, lo_a) if hi is None else np.minimum(x, hi_a) if lo is None \
                else np.clip(x, lo_a, hi_a)
        except ValueError:
            from ._util import broadcast_error
            raise broadcast_error(*(np.shape(v) for v in (x, lo_a, hi_a) if v is not None)) \
                from None
        need = ctx.needs_input_grad
        zero_x = zero_lo = zero_hi = None   # where each input's gradient is zero (saved)
        if need[0]:
            if isinstance(lo, _tensor.Tensor) or isinstance(hi, _tensor.Tensor):
                inside = np.ones(out.shape, bool)
                if lo is not None:
                    inside &= x >= lo_a
                if hi is not None:
                    inside &= x <= hi_a
                zero_x = _wrap(np.logical_not(inside, out=inside))
            elif lo is not None and hi is not None and not lo <= hi:
                zero_x = _wrap(np.ones(out.shape, bool))
            else:   # number bounds: x passes through exactly where it is inside (NaN is not)
                zero_x = _wrap(np.asarray(out != x))
        if need[1] and lo is not None:
            to_lo = x < lo_a
            if hi is not None:
                to_lo = to_lo & (lo_a < hi_a)
            zero_lo = _wrap(np.logical_not(np.broadcast_to(to_lo, out.shape)))
        if need[2] and hi is not None:
            to_hi = x > hi_a
            if lo is not None:
                to_hi = to_hi | (hi_a < lo_a)
            zero_hi = _wrap(np.logical_not(np.broadcast_to(to_hi, out.shape)))
        ctx.save_for_backward(zero_x, zero_lo, zero_hi)
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        zero_x, zero_lo, zero_hi = ctx.saved_tensors
        return (g.masked_fill(zero_x, 0) if need[0] else None,
                g.masked_fill(zero_lo, 0) if need[1] else None,
                g.masked_fill(zero_hi, 0) if need[2] else None)

    def name(self):
        return self._node

    @staticmethod
    def onnx(graph, ctx, a, lo, hi):
        dt = graph.out[0].dtype
        x = graph.cast(a, dt)
        if not isinstance(lo, str) and not isinstance(hi, str):
            return graph.op("Clip", x, None if lo is None else graph.scalar(lo, dt),
                        None if hi is None else graph.scalar(hi, dt))
        # tensor bounds broadcast: max then min (hi wins where hi < lo, as the forward)
        if lo is not None:
            x = graph.op("Max", x, graph.operand(lo, dt))
        if hi is not None:
            x = graph.op("Min", x, graph.operand(hi, dt))
        return x


class ClampScalar(Clamp):
    _node = "ClampBackward1"


class ClampMin(Clamp):
    _node = "ClampMinBackward0"


class ClampMinTensor(Clamp):
    _node = "ClampMinBackward1"


class ClampMax(Clamp):
    _node = "ClampMaxBackward0"


class ClampMaxTensor(Clamp):
    _node = "ClampMaxBackward1"


def _bound(b, dt):
    if b is None:
        return None
    if isinstance(b, _tensor.Tensor):
        return b._data if b._data.dtype == dt.np else b._data.astype(dt.np)
    if dt.category == D._INT and isinstance(b, int):
        info = np.iinfo(dt.np)
        if not info.min <= b <= info.max:
            ctype = "int" if dt is D.int32 else dt.name + "_t"
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
    return b


def _clamp_op(lo, hi):
    return Clamp if isinstance(lo, _tensor.Tensor) or isinstance(hi, _tensor.Tensor) \
        else ClampScalar

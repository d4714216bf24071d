"""Indexing: ``t[idx]``, ``t[idx] = v`` and masked_fill. Basic indices give views."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import operands

__all__ = ["masked_fill", "IndexMethods", "to_index"]


class _Raw:
    """An index already in NumPy form (passed through ``to_index`` unchanged)."""

    __slots__ = ("idx",)

    def __init__(self, idx):
        self.idx = idx


def _conv(i):
    if isinstance(i, _Raw):
        return i.idx
    if isinstance(i, _tensor.Tensor):
        if i.dtype is D.bool or i.dtype.category == D._INT:
            return i._data if i._data.ndim or i.dtype is D.bool else int(i._data)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if isinstance(i, (list,)):
        a = np.asarray([_conv(x) if isinstance(x, _tensor.Tensor) else x for x in i])
        if a.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a
    if isinstance(i, np.ndarray) or i is None or i is Ellipsis or isinstance(i, (int, slice)):
        return i
    if isinstance(i, np.integer):
        return int(i)
    if isinstance(i, float):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "Variables are valid indices (got float)")
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(i).__name__})")


def to_index(idx):
    """A NumPy index from a PyTorch one, and whether it is basic (gives a view)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = tuple(_conv(i) for i in idx)
    basic = all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in out)
    if len(out) == 1:
        out = out[0]
    return out, basic


def _check_bounds(shape, idx):
    # NumPy's message names no dim; PyTorch's does.
    items = idx if isinstance(idx, tuple) else (idx,)
    d = 0
    for i in items:
        if i is None:
            continue
        if i is Ellipsis:
            d = len(shape) - sum(1 for j in items if j is not None and j is not Ellipsis) + d
            continue
        if d >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        if isinstance(i, int) and not -shape[d] <= i < shape[d]:
            raise IndexError(f"index {i} is out of bounds for dimension {d} with size {shape[d]}")
        d += i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1


class GetItem(Function):
    _builtin = True

    # d a[idx] = scatter-add of the gradient into zeros at idx
    @staticmethod
    def forward(ctx, a, idx):
        np_idx, basic = to_index(idx)
        if basic:
            _check_bounds(a._data.shape, np_idx)
        ctx.meta = (a._data.shape, np_idx, basic)
        try:
            out = a._data[np_idx]
        except IndexError as e:
            raise IndexError(str(e).replace("array", "tensor")) from None
        return a._view_of(out) if basic else out

    @staticmethod
    def backward(ctx, g):
        shape, np_idx, basic = ctx.meta
        return IndexScatter.apply(g, shape, np_idx, basic), None


class IndexScatter(Function):
    _builtin = True

    # adjoint of a[idx]: d = g[idx]
    @staticmethod
    def forward(ctx, g, shape, np_idx, basic):
        ctx.meta = (np_idx,)
        out = g._xp.zeros(shape, g._data.dtype)
        if basic:
            out[np_idx] = g._data
        else:
            np.add.at(out, np_idx, g._data) if g._xp is np else g._xp.add.at(out, np_idx, g._data)
        return out

    @staticmethod
    def backward(ctx, gg):
        (np_idx,) = ctx.meta
        return GetItem.apply(gg, _Raw(np_idx)), None, None, None


class IndexPut(Function):
    _builtin = True

    # out = a with out[idx] = v:  d/da = g with zeros at idx,  d/dv = g[idx]
    @staticmethod
    def forward(ctx, a, v, idx):
        np_idx, basic = to_index(idx)
        ctx.meta = (np_idx, a._data.shape)
        out = a._data.copy()
        val = v._data if isinstance(v, _tensor.Tensor) else v
        if isinstance(v, _tensor.Tensor) and v.dtype is not a.dtype:
            val = val.astype(a._data.dtype)
        _assign(out, np_idx, val)
        return out

    @staticmethod
    def backward(ctx, g):
        np_idx, shape = ctx.meta
        ga = gv = None
        if ctx.needs_input_grad[0]:
            mask = g._xp.ones(shape, g._data.dtype)
            mask[np_idx] = 0
            ga = g * _tensor.Tensor._wrap(mask)
        if ctx.needs_input_grad[1]:
            gv = GetItem.apply(g, _Raw(np_idx))
        return ga, gv, None


def _assign(out, np_idx, val):
    try:
        out[np_idx] = val
    except ValueError as e:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(val))} cannot "
                           f"be broadcast to indexing result of shape "
                           f"{list(out[np_idx].shape)}") from e


class MaskedFill(Function):
    _builtin = True

    # d masked_fill(a, m, v) = (g where not m, sum of g where m)
    @staticmethod
    def forward(ctx, a, mask, value):
        if mask.dtype is not D.bool:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {mask.dtype._short.lower()}")
        if isinstance(value, _tensor.Tensor) and value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        ctx.save_for_backward(mask)
        v = value._data if isinstance(value, _tensor.Tensor) else value
        x = a._data
        try:
            bshape = np.broadcast_shapes(x.shape, mask._data.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({x.shape[-1]}) must match the size of "
                               f"tensor b ({mask._data.shape[-1]}) at non-singleton dimension "
                               f"{x.ndim - 1}") from None
        return np.where(mask._data, np.asarray(v).astype(x.dtype), x).reshape(bshape) \
            if a._xp is np else a._xp.where(mask._data, v, x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        gv = None
        if ctx.needs_input_grad[2]:
            gv = (g * mask).sum()
        return g.masked_fill(mask, 0.0), None, gv


def masked_fill(input, mask, value):
    return MaskedFill.apply(input, mask, value)


class IndexMethods:
    __slots__ = ()

    def __getitem__(self, idx):
        return GetItem.apply(self, idx)

    def __setitem__(self, idx, value):
        self._check_inplace()
        if STATE.enabled and (self._rg or (isinstance(value, _tensor.Tensor) and value._rg)):
            self._inplace(IndexPut, value, idx)
            return
        np_idx, _ = to_index(idx)
        if isinstance(value, _tensor.Tensor):
            val = value._data
            if value.dtype is not self.dtype:
                x, val, dt = operands(self, value)
                from .._tensor import _can_cast
                if not _can_cast(value.dtype, self.dtype) and value._data.ndim:
                    raise RuntimeError(f"Index put requires the source and destination dtypes "
                                       f"match, got {self.dtype._short} for the destination and "
                                       f"{value.dtype._short} for the source.")
                val = value._data.astype(self._data.dtype)
        else:
            val = value
        _assign(self._data, np_idx, val)
        self._vc.value += 1

    def masked_fill(self, mask, value):
        return MaskedFill.apply(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._inplace(MaskedFill, mask, value)
